// Copy buttons: <button data-copy-target="#some-input">. One delegated listener, so
// buttons that arrive later in an htmx swap work too. No inline script (CSP).
(function () {
  "use strict";

  function flash(button, text) {
    var original = button.dataset.copyLabel || button.textContent;
    button.dataset.copyLabel = original;
    button.textContent = text;
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  function fallbackCopy(field) {
    // Older browsers, or a page not served over HTTPS, have no async clipboard.
    field.focus();
    field.select();
    try {
      return document.execCommand("copy");
    } catch (err) {
      return false;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var field = document.querySelector(button.dataset.copyTarget);
    if (!field) { return; }
    var text = field.value !== undefined ? field.value : field.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { flash(button, "Copied!"); },
        function () { flash(button, fallbackCopy(field) ? "Copied!" : "Press Ctrl+C to copy"); }
      );
    } else {
      flash(button, fallbackCopy(field) ? "Copied!" : "Press Ctrl+C to copy");
    }
  });
})();
