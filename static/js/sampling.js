// Sampling explorer (templates/playgrounds/sampling.html): redraws the next-token
// distribution as the sliders move. The same maths as playgrounds/sampling.py: top-k on the
// logits, divide by the temperature, softmax, then top-p (smallest set of most likely tokens
// whose probability reaches p, renormalised); temperature 0 is greedy. The server rendered
// the first chart, so without JavaScript the form still works (GET). No inline script (CSP).
(function () {
  "use strict";

  var form = document.getElementById("sampling-form");
  if (!form) { return; }
  var svg = document.getElementById("sampling-svg");
  var rows = document.getElementById("sampling-rows");
  var note = document.getElementById("sampling-note");
  var logitsError = document.getElementById("logits-error");
  var inputs = {
    temperature: document.getElementById("id_temperature"),
    top_k: document.getElementById("id_top_k"),
    top_p: document.getElementById("id_top_p"),
    logits: document.getElementById("id_logits")
  };
  var outputs = {
    temperature: document.getElementById("temperature-value"),
    top_k: document.getElementById("top_k-value"),
    top_p: document.getElementById("top_p-value")
  };
  var BOOK_LOGITS = JSON.parse(form.dataset.bookLogits);
  var BOOK_LABELS = JSON.parse(form.dataset.bookLabels);
  var MAX_LOGITS = parseInt(form.dataset.maxLogits, 10);
  var MAX_ABS = 1000;
  // Geometry shared with playgrounds/sampling.py (bars()).
  var HEIGHT = 260, TOP = 24, BOTTOM = 190, STEP = 48;
  var NS = "http://www.w3.org/2000/svg";

  function parseLogits(text) {
    var items = text.trim().split(/[\s,;]+/).filter(function (s) { return s !== ""; });
    if (items.length === 0) { return { logits: BOOK_LOGITS, labels: BOOK_LABELS }; }
    if (items.length < 2 || items.length > MAX_LOGITS) {
      return { error: "Enter between 2 and " + MAX_LOGITS + " logits separated by commas or " +
                      "spaces (you entered " + items.length + ")." };
    }
    var values = [];
    for (var i = 0; i < items.length; i++) {
      var value = Number(items[i]);
      if (items[i].toLowerCase().indexOf("inf") !== -1 || items[i].toLowerCase() === "nan") {
        return { error: "Logits must be finite numbers (no inf or nan)." };
      }
      if (isNaN(value)) {
        return { error: "\u201c" + items[i].slice(0, 20) + "\u201d is not a number: logits are " +
                        "plain numbers like 4.51." };
      }
      if (Math.abs(value) > MAX_ABS) {
        return { error: "Logits must lie between -" + MAX_ABS + " and " + MAX_ABS + "." };
      }
      values.push(value);
    }
    return { logits: values, labels: values.map(function (_, j) { return "#" + j; }) };
  }

  function distribution(logits, temperature, topK, topP) {
    var n = logits.length, probs = new Array(n).fill(0), kept = new Array(n).fill(false);
    var i;
    if (temperature <= 0) {
      var best = 0;
      for (i = 1; i < n; i++) { if (logits[i] > logits[best]) { best = i; } }
      probs[best] = 1; kept[best] = true;
      return { probs: probs, kept: kept };
    }
    var k = Math.max(1, Math.min(topK, n));
    var threshold = logits.slice().sort(function (a, b) { return b - a; })[k - 1];
    var max = -Infinity;
    for (i = 0; i < n; i++) {
      kept[i] = logits[i] >= threshold;
      if (kept[i]) { max = Math.max(max, logits[i] / temperature); }
    }
    var total = 0;
    for (i = 0; i < n; i++) {
      probs[i] = kept[i] ? Math.exp(logits[i] / temperature - max) : 0;
      total += probs[i];
    }
    for (i = 0; i < n; i++) { probs[i] /= total; }
    if (topP < 1) {
      var order = probs.map(function (_, j) { return j; })
        .sort(function (a, b) { return probs[b] - probs[a] || a - b; });
      var cumulative = 0, keep = new Array(n).fill(false);
      for (i = 0; i < n; i++) {
        keep[order[i]] = true;
        cumulative += probs[order[i]];
        if (cumulative >= topP - 1e-12) { break; }
      }
      total = 0;
      for (i = 0; i < n; i++) {
        kept[i] = kept[i] && keep[i];
        if (!kept[i]) { probs[i] = 0; }
        total += probs[i];
      }
      for (i = 0; i < n; i++) { probs[i] /= total; }
    }
    return { probs: probs, kept: kept };
  }

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function round(x) { return Math.round(x * 100) / 100; }

  function draw(labels, logits, result) {
    var width = labels.length * STEP;
    svg.setAttribute("viewBox", "0 0 " + width + " " + HEIGHT);
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    svg.appendChild(el("line", { "class": "sampling-axis", x1: 0, y1: BOTTOM, x2: width, y2: BOTTOM }));
    while (rows.firstChild) { rows.removeChild(rows.firstChild); }
    labels.forEach(function (label, i) {
      var p = result.probs[i];
      var height = round(p * (BOTTOM - TOP));
      var x = i * STEP + 8, centre = x + (STEP - 16) / 2, labelY = BOTTOM + 16;
      var group = el("g", { "class": "sampling-bar" + (result.kept[i] ? "" : " is-cut"),
                            "data-token": label });
      group.appendChild(el("rect", { x: x, y: round(BOTTOM - height), width: STEP - 16,
                                     height: height, "data-probability": p.toFixed(6) }));
      group.appendChild(el("text", { "class": "sampling-value", x: centre,
                                     y: round(BOTTOM - height - 6), "text-anchor": "middle" },
                           p.toFixed(2)));
      group.appendChild(el("text", { "class": "sampling-label", x: centre, y: labelY,
                                     "text-anchor": "end",
                                     transform: "rotate(-35 " + centre + " " + labelY + ")" },
                           label));
      svg.appendChild(group);
      var row = document.createElement("tr");
      if (!result.kept[i]) { row.className = "is-cut"; }
      [label, logits[i].toFixed(2), p.toFixed(4)].forEach(function (text) {
        var cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      });
      rows.appendChild(row);
    });
  }

  function update() {
    var parsed = parseLogits(inputs.logits.value);
    logitsError.textContent = parsed.error || "";
    if (parsed.error) { return; }
    var n = parsed.logits.length;
    var wasAll = Number(inputs.top_k.value) >= Number(inputs.top_k.max);
    inputs.top_k.max = String(n);
    if (wasAll || Number(inputs.top_k.value) > n) { inputs.top_k.value = String(n); }
    var temperature = Number(inputs.temperature.value);
    var topK = Number(inputs.top_k.value);
    var topP = Number(inputs.top_p.value);
    outputs.temperature.textContent = temperature.toFixed(2);
    outputs.top_k.textContent = String(topK);
    outputs.top_p.textContent = topP.toFixed(2);
    note.textContent = temperature <= 0
      ? "Temperature 0 is greedy decoding: the most likely token always wins, top-k and " +
        "top-p have nothing left to cut."
      : "Grey bars were cut by top-k or top-p; the rest are renormalised.";
    draw(parsed.labels, parsed.logits, distribution(parsed.logits, temperature, topK, topP));
    var query = new URLSearchParams(new FormData(form));
    if (!inputs.logits.value.trim()) { query.delete("logits"); }
    window.history.replaceState(null, "", "?" + query.toString());
  }

  form.addEventListener("input", update);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
  form.dataset.ready = "true";  // tests wait for this
}());
