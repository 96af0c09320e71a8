// Review session keyboard, as in Anki: Space shows the answer, 1–4 rate it, U (or
// Ctrl/Cmd+Z) takes back the last rating. Keys are ignored while typing in a field.
// The buttons stay real form buttons, so everything works without this file too.
(function () {
  "use strict";

  var shownAt = performance.now();

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable], [contenteditable='true']"));
  }

  function answer() {
    return document.getElementById("flashcard-answer");
  }

  function click(selector) {
    var button = document.querySelector(selector);
    if (button && !button.disabled) {
      // A key can arrive between htmx inserting a new card and processing it; without
      // this the click would fall back to a plain form POST and reload the page.
      if (window.htmx && button.form) window.htmx.process(button.form);
      button.click();
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || typing(event.target)) return;
    var details = answer();
    var undoKey = (event.key === "z" || event.key === "Z") && (event.ctrlKey || event.metaKey);
    if (undoKey || (!event.ctrlKey && !event.metaKey && (event.key === "u" || event.key === "U"))) {
      if (click("#undo-form [data-undo]")) event.preventDefault();
      return;
    }
    if (event.ctrlKey || event.metaKey) return;
    if (event.key === " " || event.code === "Space") {
      if (!details) return;
      event.preventDefault(); // no page scroll; a focused <summary> would toggle twice
      if (!details.open) details.open = true;
      return;
    }
    if (/^[1-4]$/.test(event.key) && details) {
      event.preventDefault();
      if (!details.open) details.open = true; // Anki rates straight from the question too
      if (event.repeat) return; // a held key must not rate the next card as well
      click('#rating-form button[data-rating="' + event.key + '"]');
    }
  });

  // Time from showing the card to rating it, for the FSRS optimiser's review_duration.
  document.addEventListener(
    "submit",
    function (event) {
      var field = event.target.querySelector && event.target.querySelector("[data-review-duration]");
      if (field) field.value = String(Math.max(0, Math.round(performance.now() - shownAt)));
    },
    true
  );

  // A focused <summary> toggles on Space's keyup: keep the answer open once shown.
  document.addEventListener("keyup", function (event) {
    if ((event.key === " " || event.code === "Space") && event.target.closest && event.target.closest("#flashcard-answer > summary")) {
      event.preventDefault();
    }
  });

  // Each card swapped in restarts the clock.
  document.addEventListener("htmx:afterSettle", function () {
    var card = document.getElementById("flashcard");
    if (card && !card.dataset.seen) {
      card.dataset.seen = "1";
      shownAt = performance.now();
    }
  });
})();
