// The tab entry (/tabs/{entity}) and the channel tab's configuration page.
// In Teams: single sign-on with TeamsJS (getAuthToken), exchanged for a
// Steward session, then on to the tab's page (or the item a deep link
// named). Outside Teams the page offers the normal sign-in.
"use strict";
(function () {
  var entry = document.getElementById("tab-signin");
  var config = document.getElementById("tab-config");
  window.stewardTeams().then(function (t) {
    if (!t) return; // not in Teams: the sign-in button is there
    if (entry) return signIn(t);
    if (config) return configure(t);
  });

  function signIn(t) {
    var status = document.getElementById("tab-status");
    var next = entry.dataset.next || "/app";
    t.app.getContext().then(function (ctx) {
      var sub = ctx && ctx.page && ctx.page.subPageId;
      if (sub && (next === "/app/requests" || next === "/app/approvals")) {
        next = "/app/requests/" + encodeURIComponent(sub);
      }
      return t.authentication.getAuthToken().then(function (token) {
        return fetch("/auth/teams", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: token, locale: (ctx && ctx.app && ctx.app.locale) || "" })
        });
      });
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      location.replace(next);
    }).catch(function () {
      status.textContent = status.dataset.failed || "Single sign-on did not work: use the button below.";
    });
  }

  function configure(t) {
    var status = document.getElementById("cfg-status");
    function choice() { return config.querySelector("input[name=entity]:checked").value; }
    t.pages.config.registerOnSaveHandler(function (ev) {
      var e = choice();
      t.pages.config.setConfig({
        entityId: "steward-" + e,
        contentUrl: location.origin + "/tabs/" + e + "?lang={locale}&theme={theme}",
        websiteUrl: location.origin + "/tabs/" + e,
        suggestedDisplayName: "Steward"
      }).then(function () { ev.notifySuccess(); }).catch(function (err) { ev.notifyFailure(String(err)); });
    });
    config.addEventListener("change", function () { t.pages.config.setValidityState(true); });
    t.pages.config.setValidityState(true);
    status.textContent = "";
  }
})();
