// Steward pages: shared behaviour. Inside Teams (the page is framed), load
// TeamsJS from Microsoft's CDN with its SRI hash, then follow the Teams
// theme and locale. No inline script anywhere: the CSP forbids it.
"use strict";
(function () {
  // TeamsJS 2.34.0; the hash is of dist/umd/MicrosoftTeams.min.js of the
  // npm package @microsoft/teams-js@2.34.0, which the CDN serves unchanged.
  var TEAMSJS = {
    src: "https://res.cdn.office.net/teams-js/2.34.0/js/MicrosoftTeams.min.js",
    integrity: "sha384-brW9AazbKR2dYw2DucGgWCCcmrm2oBFV4HQidyuyZRI/TnAkmOOnTARSTdps3Hwt"
  };
  var framed = window.parent !== window;
  var ready = null;

  function setCookie(name, value) {
    var secure = location.protocol === "https:";
    document.cookie = name + "=" + encodeURIComponent(value) + "; Path=/; Max-Age=31536000; " +
      (secure ? "SameSite=None; Secure; Partitioned" : "SameSite=Lax");
  }

  function applyTheme(theme) {
    if (theme !== "dark" && theme !== "contrast") theme = "default";
    document.documentElement.setAttribute("data-theme", theme);
    setCookie("steward_theme", theme);
  }

  // teams returns a promise of the initialized TeamsJS, or null outside Teams.
  window.stewardTeams = function () {
    if (!framed) return Promise.resolve(null);
    if (ready) return ready;
    ready = new Promise(function (resolve) {
      var s = document.createElement("script");
      s.src = TEAMSJS.src;
      s.integrity = TEAMSJS.integrity;
      s.crossOrigin = "anonymous";
      s.onload = function () {
        var t = window.microsoftTeams;
        t.app.initialize().then(function () {
          t.app.registerOnThemeChangeHandler(applyTheme);
          return t.app.getContext();
        }).then(function (ctx) {
          if (ctx && ctx.app) {
            applyTheme(ctx.app.theme);
            if (ctx.app.locale) {
              var lang = ctx.app.locale.toLowerCase().indexOf("fr") === 0 ? "fr" : "en";
              if (lang !== document.documentElement.lang) {
                setCookie("steward_lang", lang);
              }
            }
          }
          resolve(t);
        }).catch(function () { resolve(null); });
      };
      s.onerror = function () { resolve(null); };
      document.head.appendChild(s);
    });
    return ready;
  };

  // csrfFetch sends the session's CSRF token with a same-origin request.
  window.stewardFetch = function (url, opts) {
    opts = opts || {};
    opts.credentials = "same-origin";
    opts.headers = opts.headers || {};
    opts.headers["X-CSRF-Token"] = document.body.dataset.csrf || "";
    return fetch(url, opts);
  };

  if (framed) window.stewardTeams();
})();
