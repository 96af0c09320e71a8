// Tokenizer playground (templates/playgrounds/tokenizer.html). htmx re-renders the
// #tokenizer-result partial as the learner types (hx-trigger on the form); this file adds
// what htmx cannot: a live character count, the length limit checked before any request is
// sent (the text stays in the box, the message says by how much it is over), and hovering a
// token lights up its ids. Without JavaScript the form is a plain GET form. No inline script
// (CSP).
(function () {
  "use strict";

  var form = document.getElementById("tokenizer-form");
  if (!form) { return; }
  var textarea = document.getElementById("id_text");
  var count = document.getElementById("text-count");
  var MAX = parseInt(form.dataset.maxChars, 10);

  function format(n) { return n.toLocaleString("en-US"); }

  // Characters as the server counts them: code points, with a new line as one character.
  function length() { return Array.from(textarea.value.replace(/\r\n/g, "\n")).length; }

  function tooLongMessage(n) {
    return "Your text is " + format(n) + " characters long; the playground tokenizes at most " +
      format(MAX) + ". Shorten it by " + format(n - MAX) +
      (n - MAX === 1 ? " character" : " characters") + " (your text is still in the box).";
  }

  function updateCount() {
    var n = length();
    count.textContent = format(n) + " / " + format(MAX) + " characters";
    count.classList.toggle("is-over", n > MAX);
    return n;
  }

  textarea.addEventListener("input", updateCount);

  // Too long: say so and send nothing (the last good result stays, dimmed).
  form.addEventListener("htmx:confirm", function (event) {
    var n = updateCount();
    if (n <= MAX) { return; }
    event.preventDefault();
    var error = document.getElementById("text-error");
    if (error) { error.textContent = tooLongMessage(n); }
    var result = document.getElementById("tokenizer-result");
    if (result) { result.classList.add("is-stale"); }
  });

  // The server's 400 carries the same message in the partial: show it, not an htmx error.
  // (htmx fires beforeSwap on the target, #tokenizer-result, which lies outside the form.)
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.target.id === "tokenizer-result" && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Hovering a token lights up its ids, hovering an id lights up its token. A token span
  // holds one or more ids (data-ids), in order, so the n-th id belongs to the span whose
  // running count passes n.
  function hot(target, on) {
    var panel = target.closest(".tok-panel");
    if (!panel) { return; }
    var spans = panel.querySelectorAll(".tok-text .tok");
    var ids = panel.querySelectorAll(".tok-ids span");
    var wanted = target.matches(".tok") ? -1 : Array.prototype.indexOf.call(ids, target);
    var first = 0;
    for (var s = 0; s < spans.length; s++) {
      var n = spans[s].dataset.ids.split(" ").length;
      if (spans[s] === target || (wanted >= first && wanted < first + n)) {
        spans[s].classList.toggle("is-hot", on);
        for (var j = first; j < first + n && j < ids.length; j++) {
          ids[j].classList.toggle("is-hot", on);
        }
        return;
      }
      first += n;
    }
  }

  ["mouseover", "mouseout"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var target = event.target.closest && event.target.closest(".tok-text .tok, .tok-ids span");
      if (target) { hot(target, type === "mouseover"); }
    });
  });

  updateCount();
  form.dataset.ready = "true";  // tests wait for this
}());
