// Live progress of a request: poll its status while it moves, update the
// badge (an aria-live region) and show the team link when it is ready.
"use strict";
(function () {
  var badge = document.getElementById("req-state");
  if (!badge || !badge.dataset.poll) return;
  var url = badge.dataset.poll;
  var version = badge.dataset.version;
  var delay = 2000;
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { delay = Math.min(delay * 2, 30000); return setTimeout(tick, delay); }
        badge.textContent = s.label;
        badge.className = "state state-" + s.state;
        if (s.teamWebUrl) {
          var p = document.getElementById("req-team-link");
          p.querySelector("a").href = s.teamWebUrl;
          p.hidden = false;
        }
        if (s.final) {
          // Decisions, notes and the failure reason are on the page proper.
          if (String(s.version) !== version) location.reload();
          return;
        }
        if (String(s.version) !== version && s.state !== "provisioning" && s.state !== "approved") {
          location.reload();
          return;
        }
        setTimeout(tick, delay);
      })
      .catch(function () { delay = Math.min(delay * 2, 30000); setTimeout(tick, delay); });
  }
  setTimeout(tick, delay);
})();
