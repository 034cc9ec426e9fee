// Admin center: show only the credential fields of the chosen type, and
// select a secret shown once when it gets focus, ready to copy.
(function () {
  "use strict";
  function showCredentialType() {
    var chosen = document.querySelector('input[name="type"]:checked');
    document.querySelectorAll("[data-credential]").forEach(function (el) {
      el.hidden = chosen !== null && el.dataset.credential !== chosen.value;
    });
  }
  document.querySelectorAll('input[name="type"]').forEach(function (el) {
    el.addEventListener("change", showCredentialType);
  });
  showCredentialType();
  document.querySelectorAll("input[data-copy]").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
})();
