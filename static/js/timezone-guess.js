// Sign-up: preselect the browser's time zone in <select data-guess-timezone> while it
// still shows the default (UTC), so most people never need to touch it.
(function () {
  "use strict";
  var select = document.querySelector("select[data-guess-timezone]");
  if (!select || select.value !== "UTC") { return; }
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (err) {
    return;
  }
  if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) {
    select.value = zone;
  }
})();
