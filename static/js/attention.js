// Attention explorer (templates/playgrounds/attention.html). The maps are computed on a
// worker (playgrounds/computations/attention.py): a new sentence or model starts a run through
// PlaygroundRun (static/js/playground-run.js), and the result holds every layer's and head's
// weights with and without the causal mask. Everything else -- mask, dropout, its sample,
// which head is enlarged -- is redrawn here without asking the server. Dropout uses the same
// mulberry32 generator as playgrounds/attention.py, so a sample number gives the same dropped
// cells on the server and here; the geometry and colours are those of the server render.
// No inline script or style (CSP): SVG attributes and classes only.
(function () {
  "use strict";

  var form = document.getElementById("attention-form");
  if (!form) { return; }
  var runForm = document.getElementById("attention-run-form");
  var box = document.getElementById("attention-run");
  var svg = document.getElementById("attention-svg");
  var grid = document.getElementById("attention-grid");
  var empty = document.getElementById("attention-empty");
  var readout = document.getElementById("attention-readout");
  var note = document.getElementById("attention-note");
  var compare = document.getElementById("attention-compare");
  var sourceLine = document.getElementById("attention-source");
  var lossLine = document.getElementById("attention-loss");
  var legendBar = document.getElementById("attention-legend-bar");
  var keyArea = document.getElementById("attention-key-area");
  var maskNote = document.getElementById("mask-note");
  var textInput = document.getElementById("id_text");
  var textError = document.getElementById("text-error");
  var seedInput = document.getElementById("id_seed");
  var seedOutput = document.getElementById("seed-value");
  var layerInput = document.getElementById("id_layer");
  var headInput = document.getElementById("id_head");
  var newSample = document.getElementById("new-sample");

  var CELL = parseInt(form.dataset.cell, 10);
  var LABEL_W = parseInt(form.dataset.labelW, 10);
  var LABEL_H = parseInt(form.dataset.labelH, 10);
  var SUM_W = parseInt(form.dataset.sumW, 10);
  var MINI = parseInt(form.dataset.mini, 10);
  var LAYERS = parseInt(grid.dataset.layers, 10);
  var HEADS = parseInt(grid.dataset.heads, 10);
  var STOPS = [[0, [248, 250, 252]], [0.5, [129, 140, 248]], [1, [30, 27, 75]]];
  var TICKS = [0, 0.05, 0.25, 0.5, 1];
  var LEGEND_W = 230, LEGEND_STEPS = 48;
  var NS = "http://www.w3.org/2000/svg";
  // The messages of playgrounds/attention.py's tokenize(): a problem with the sentence.
  var TEXT_ERROR = /^(Type a sentence|Keep the sentence|Your sentence is|\u201c[\s\S]*\u201d is a single GPT-2 token)/;

  var state = { result: null, computedText: null, computedSource: null, cursor: null };

  // --- maths shared with playgrounds/attention.py ---------------------------------------

  function mulberry32(seed) {
    var a = seed | 0;
    return function () {
      a = (a + 0x6D2B79F5) | 0;
      var t = Math.imul(a ^ (a >>> 15), a | 1);
      t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function dropoutSeed(seed, layer, head) {
    return (Math.imul(seed, 0x9E3779B1) + Math.imul(layer, 0x85EBCA77) +
            Math.imul(head, 0xC2B2AE3D)) >>> 0;
  }

  function keepMask(seed, layer, head, n, p) {
    var keep = [], i, j;
    var draw = p > 0 ? mulberry32(dropoutSeed(seed, layer, head)) : null;
    for (i = 0; i < n; i++) {
      keep.push([]);
      for (j = 0; j < n; j++) { keep[i].push(draw ? draw() >= p : true); }
    }
    return keep;
  }

  // One map as drawn: values after dropout, masked and dropped cells.
  function view(weights, causal, p, keep) {
    var n = weights.length, out = [], i, j;
    for (i = 0; i < n; i++) {
      var row = [];
      for (j = 0; j < n; j++) {
        var masked = causal && j > i;
        var dropped = !masked && !keep[i][j];
        var value = masked || dropped ? 0 : weights[i][j];
        if (p > 0) { value = value / (1 - p); }
        row.push({ value: value, masked: masked, dropped: dropped, before: weights[i][j] });
      }
      out.push(row);
    }
    return out;
  }

  function scaleMax(p) { return p > 0 ? 1 / (1 - p) : 1; }

  function unit(value, vmax) { return Math.sqrt(Math.min(Math.max(value / vmax, 0), 1)); }

  function colour(value, vmax) {
    var t = unit(value, vmax);
    for (var k = 0; k < STOPS.length - 1; k++) {
      var t0 = STOPS[k][0], t1 = STOPS[k + 1][0];
      if (t <= t1) {
        var f = (t - t0) / (t1 - t0), c0 = STOPS[k][1], c1 = STOPS[k + 1][1];
        var rgb = [0, 1, 2].map(function (c) { return Math.floor(c0[c] + (c1[c] - c0[c]) * f + 0.5); });
        return "rgb(" + rgb.join(",") + ")";
      }
    }
    return "rgb(" + STOPS[STOPS.length - 1][1].join(",") + ")";
  }

  // --- reading the form ------------------------------------------------------------------

  function checked(name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : "";
  }

  function settings() {
    var result = state.result;
    var own = result && result.source === "submission";
    return {
      causal: own || checked("mask") !== "none",
      p: Number(checked("dropout") || 0),
      seed: parseInt(seedInput.value, 10) || 0,
      layer: Math.min(parseInt(layerInput.value, 10) - 1 || 0, LAYERS - 1),
      head: Math.min(parseInt(headInput.value, 10) - 1 || 0, HEADS - 1)
    };
  }

  function mapsOf(result, causal) {
    return result.maps[causal ? "causal" : "none"] || result.maps.causal;
  }

  // --- drawing ---------------------------------------------------------------------------

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function clear(node, keep) {
    Array.prototype.slice.call(node.childNodes).forEach(function (child) {
      if (!keep || keep.indexOf(child.nodeName.toLowerCase()) === -1) { node.removeChild(child); }
    });
  }

  function cellTitle(tokens, i, j, cell, reference) {
    var pair = "\u201c" + tokens[i].label + "\u201d \u2192 \u201c" + tokens[j].label + "\u201d: ";
    if (cell.masked) { return pair + "masked (a later token), weight 0"; }
    if (cell.dropped) { return pair + "dropped by dropout, weight 0"; }
    var text = pair + cell.value.toFixed(4);
    if (reference) { text += " (reference " + reference[i][j].toFixed(4) + ")"; }
    return text;
  }

  function drawBig(s) {
    var result = state.result, tokens = result.tokens, n = tokens.length;
    var weights = mapsOf(result, s.causal)[s.layer][s.head];
    var reference = result.reference ? result.reference.causal[s.layer][s.head] : null;
    var cells = view(weights, s.causal, s.p, keepMask(s.seed, s.layer, s.head, n, s.p));
    var vmax = scaleMax(s.p), size = n * CELL;
    var width = LABEL_W + size + SUM_W, height = LABEL_H + size + 8;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("class", "attention-svg" + (n <= 6 ? " is-few" : ""));
    clear(svg, ["desc", "defs"]);
    var keys = el("g", { "class": "att-keys" }), queries = el("g", { "class": "att-queries" });
    tokens.forEach(function (t, i) {
      var cls = "att-label" + (t.known ? "" : " is-rare");
      var x = LABEL_W + i * CELL + CELL / 2, y = LABEL_H - 6;
      var key = el("text", { "class": cls, x: x, y: y, transform: "rotate(-55 " + x + " " + y + ")" }, t.label);
      key.appendChild(el("title", {}, JSON.stringify(t.text) + " \u00b7 id " + t.id + (t.known ? "" : " \u00b7 rare")));
      keys.appendChild(key);
      var query = el("text", { "class": cls, x: LABEL_W - 6, y: LABEL_H + i * CELL + CELL / 2 + 4,
                               "text-anchor": "end" }, t.label);
      query.appendChild(el("title", {}, JSON.stringify(t.text) + " \u00b7 id " + t.id + (t.known ? "" : " \u00b7 rare")));
      queries.appendChild(query);
    });
    svg.appendChild(keys);
    svg.appendChild(queries);
    var group = el("g", { "class": "att-cells" }), dropped = 0;
    cells.forEach(function (row, i) {
      row.forEach(function (cell, j) {
        var x = LABEL_W + j * CELL, y = LABEL_H + i * CELL;
        var cls = "att-cell" + (cell.masked ? " is-masked" : "") + (cell.dropped ? " is-dropped" : "");
        var fill = cell.masked ? "url(#att-hatch)" : cell.dropped ? "#ffffff" : colour(cell.value, vmax);
        if (!cell.masked && !cell.dropped && unit(cell.value, vmax) > 0.55) { cls += " is-dark"; }
        var g = el("g", { "class": cls, "data-row": i, "data-col": j, "data-value": cell.value.toFixed(6) });
        g.appendChild(el("rect", { x: x, y: y, width: CELL, height: CELL, fill: fill }));
        if (cell.dropped) {
          dropped += 1;
          var a = 8, b = CELL - 8;
          g.appendChild(el("path", { "class": "att-cross", d: "M" + (x + a) + " " + (y + a) + "L" + (x + b) + " " + (y + b) +
                                                            "M" + (x + b) + " " + (y + a) + "L" + (x + a) + " " + (y + b) }));
        } else if (!cell.masked) {
          g.appendChild(el("text", { "class": "att-value", x: x + CELL / 2, y: y + CELL / 2 + 3,
                                     "text-anchor": "middle" }, cell.value.toFixed(2)));
        }
        g.appendChild(el("title", {}, cellTitle(tokens, i, j, cell, reference)));
        group.appendChild(g);
      });
    });
    svg.appendChild(group);
    var sums = el("g", { "class": "att-sums" }), sumX = LABEL_W + size + 8;
    sums.appendChild(el("text", { "class": "att-sum-head", x: sumX, y: LABEL_H - 6 }, "row \u03a3"));
    cells.forEach(function (row, i) {
      var total = row.reduce(function (acc, c) { return acc + c.value; }, 0);
      sums.appendChild(el("text", { "class": "att-sum", x: sumX, y: LABEL_H + i * CELL + CELL / 2 + 4 }, total.toFixed(2)));
    });
    svg.appendChild(sums);
    svg.removeAttribute("hidden");  // an SVG element has no .hidden property
    empty.hidden = true;
    keyArea.hidden = false;
    svg.dataset.layer = s.layer;
    svg.dataset.head = s.head;
    svg.dataset.causal = s.causal ? "true" : "false";
    svg.dataset.dropout = String(s.p);
    svg.dataset.seed = String(s.seed);
    svg.dataset.source = result.source;
    svg.dataset.drawn = "client";
    document.getElementById("map-layer").textContent = s.layer + 1;
    document.getElementById("map-head").textContent = s.head + 1;
    note.textContent = dropped
      ? "Dropout p = " + s.p + " dropped " + dropped + " weight" + (dropped === 1 ? "" : "s") +
        " of this map; the rest were multiplied by 1 / (1 \u2212 " + s.p + ") = " +
        (+vmax.toFixed(3)) + ", so the rows no longer sum to 1."
      : s.p > 0 ? "Dropout p = " + s.p + " dropped none of this map's weights this time; try a new sample." : "";
    drawLegend(vmax);
  }

  // The colour bar and its ticks, as playgrounds/attention.py's legend() draws them.
  function drawLegend(vmax) {
    clear(legendBar);
    var width = LEGEND_W / LEGEND_STEPS, k;
    for (k = 0; k < LEGEND_STEPS; k++) {
      var t = (k + 0.5) / LEGEND_STEPS;  // position along the bar = sqrt(value / vmax)
      legendBar.appendChild(el("rect", { x: +(k * width).toFixed(2), y: 0, width: +(width + 0.3).toFixed(2),
                                         height: 12, fill: colour(t * t * vmax, vmax) }));
    }
    TICKS.concat(vmax > 1 ? [vmax] : []).forEach(function (tick) {
      var x = +(Math.sqrt(tick / vmax) * LEGEND_W).toFixed(2);
      legendBar.appendChild(el("line", { "class": "att-tick-line", x1: x, x2: x, y1: 12, y2: 16 }));
      legendBar.appendChild(el("text", { x: x, y: 27, "text-anchor": tick === 0 ? "start" : tick === vmax ? "end" : "middle" },
                               String(+tick.toPrecision(3))));
    });
    legendBar.setAttribute("aria-label", "Colour scale from 0 to " + (+vmax.toFixed(3)) +
                           " (square-root scale, so small weights stay visible)");
  }

  function drawMinis(s) {
    var result = state.result, n = result.tokens.length, maps = mapsOf(result, s.causal);
    var vmax = scaleMax(s.p), size = n * MINI, layer, head;
    clear(grid);
    for (layer = 0; layer < maps.length; layer++) {
      var row = document.createElement("div");
      row.className = "attention-grid-row";
      var label = document.createElement("span");
      label.className = "attention-grid-label small muted";
      label.textContent = "Layer " + (layer + 1);
      row.appendChild(label);
      for (head = 0; head < maps[layer].length; head++) {
        var link = document.createElement("a");
        var selected = layer === s.layer && head === s.head;
        link.className = "att-mini" + (selected ? " is-selected" : "");
        link.href = "?" + query({ layer: layer + 1, head: head + 1 });
        link.dataset.layer = layer;
        link.dataset.head = head;
        if (selected) { link.setAttribute("aria-current", "true"); }
        link.setAttribute("aria-label", "Layer " + (layer + 1) + ", head " + (head + 1));
        var canvas = document.createElement("canvas");
        canvas.className = "att-mini-canvas";
        canvas.width = size;
        canvas.height = size;
        canvas.setAttribute("aria-hidden", "true");
        paintMini(canvas, view(maps[layer][head], s.causal, s.p, keepMask(s.seed, layer, head, n, s.p)), vmax);
        var caption = document.createElement("span");
        caption.className = "small";
        caption.textContent = "Head " + (head + 1);
        link.appendChild(canvas);
        link.appendChild(caption);
        row.appendChild(link);
      }
      grid.appendChild(row);
    }
  }

  function paintMini(canvas, cells, vmax) {
    var ctx = canvas.getContext("2d");
    cells.forEach(function (row, i) {
      row.forEach(function (cell, j) {
        ctx.fillStyle = cell.masked ? "#e3e5ec" : cell.dropped ? "#fecaca" : colour(cell.value, vmax);
        ctx.fillRect(j * MINI, i * MINI, MINI, MINI);
      });
    });
  }

  function describe(result) {
    var model = result.model;
    if (result.source === "submission") {
      var passed = new Date(result.submission.passed);
      sourceLine.textContent = "Your MultiHeadAttention (submission #" + result.submission.id + ", passed " +
        passed.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" }) +
        "), run in the grading sandbox with the trained model's weights and, in each layer, the " +
        "same input as the reference.";
    } else {
      sourceLine.textContent = model.trained
        ? "The trained small GPT."
        : "The untrained small GPT (random initial weights): attention is nearly uniform before training.";
    }
    lossLine.textContent = "Training loss (cross-entropy) fell from " + model.loss_start.toFixed(2) + " to " +
      model.loss_end.toFixed(2) + "; guessing uniformly among " + model.vocab_size + " tokens scores ln " +
      model.vocab_size + " \u2248 " + Math.log(model.vocab_size).toFixed(2) + ".";
    maskNote.hidden = result.source !== "submission";
    form.querySelectorAll("input[name=mask]").forEach(function (input) {
      input.disabled = result.source === "submission";
    });
    if (result.comparison) {
      var c = result.comparison;
      compare.hidden = false;
      compare.className = "attention-compare " + (c.same ? "is-same" : "is-different");
      compare.textContent = (c.same
        ? "Your maps match the reference: the largest difference over all " + LAYERS * HEADS +
          " maps is " + c.max_diff.toExponential(1) + " (float32 rounding)."
        : "Your maps differ from the reference by up to " + c.max_diff.toFixed(4) + " (layer " +
          (c.max_diff_layer + 1) + ", head " + (c.max_diff_head + 1) + ").") +
        " Outputs differ by at most " + c.output_max_diff.toExponential(1) + "." +
        (c.eval_dropout_identity ? "" : " Note: your dropout changed the weights in eval mode.");
    } else {
      compare.hidden = true;
      compare.textContent = "";
    }
  }

  function query(overrides) {
    var s = settings();
    var params = {
      text: state.computedText !== null ? state.computedText : textInput.value.trim(),
      source: state.result ? state.result.source : checked("source"),
      mask: checked("mask") || "causal",
      dropout: checked("dropout") || "0",
      seed: s.seed,
      layer: s.layer + 1,
      head: s.head + 1
    };
    Object.keys(overrides || {}).forEach(function (key) { params[key] = overrides[key]; });
    return new URLSearchParams(params).toString();
  }

  function draw() {
    if (!state.result) { return; }
    var s = settings();
    seedOutput.textContent = s.seed;
    newSample.value = s.seed + 1;
    drawBig(s);
    drawMinis(s);
    showCursor();
    window.history.replaceState(null, "", "?" + query());
  }

  // --- computing -------------------------------------------------------------------------

  function compute() {
    var text = textInput.value.trim(), source = checked("source");
    textError.textContent = "";
    textInput.removeAttribute("aria-invalid");
    form.dataset.running = "true";
    return window.PlaygroundRun.start(runForm, box, { text: text, source: source })
      .then(function (result) {
        state.result = result;
        state.computedText = text;
        state.computedSource = source;
        describe(result);
        draw();
      })
      .catch(function (error) {
        // A problem with the sentence is shown at the field (and only there); the text
        // stays as typed.
        if (TEXT_ERROR.test(error.message)) {
          textError.textContent = error.message;
          textInput.setAttribute("aria-invalid", "true");
          box.hidden = true;
        }
      })
      .then(function () { form.dataset.running = "false"; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (event.submitter === newSample) {
      seedInput.value = (parseInt(seedInput.value, 10) || 0) + 1;
      if (checked("dropout") === "0") {
        var low = form.querySelector("input[name=dropout][value='0.1']");
        if (low) { low.checked = true; }
      }
      draw();
      return;
    }
    compute();
  });

  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name === "source") { compute(); return; }
    if (name === "mask" || name === "dropout") { draw(); }
  });

  grid.addEventListener("click", function (event) {
    var link = event.target.closest(".att-mini");
    if (!link || !state.result) { return; }
    event.preventDefault();
    layerInput.value = parseInt(link.dataset.layer, 10) + 1;
    headInput.value = parseInt(link.dataset.head, 10) + 1;
    draw();
  });

  document.querySelectorAll(".attention-example").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      textInput.value = link.dataset.text;
      compute();
    });
  });

  function read(cell) {
    var title = cell.querySelector("title");
    readout.textContent = title ? title.textContent : "";
  }

  svg.addEventListener("mouseover", function (event) {
    var cell = event.target.closest(".att-cell");
    if (cell) { read(cell); }
  });

  // Keyboard: the map is focusable; the arrow keys move a cursor from cell to cell and the
  // readout (aria-live) says what is under it.
  function showCursor() {
    var old = svg.querySelector(".att-cell.is-cursor");
    if (old) { old.classList.remove("is-cursor"); }
    if (!state.cursor) { return; }
    var cell = svg.querySelector('.att-cell[data-row="' + state.cursor.row + '"][data-col="' + state.cursor.col + '"]');
    if (!cell) { state.cursor = null; return; }
    cell.classList.add("is-cursor");
    read(cell);
  }

  svg.addEventListener("keydown", function (event) {
    var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    var move = moves[event.key];
    if (!move || !state.result) { return; }
    event.preventDefault();
    var last = state.result.tokens.length - 1;
    var at = state.cursor;
    state.cursor = at
      ? { row: Math.min(Math.max(at.row + move[0], 0), last), col: Math.min(Math.max(at.col + move[1], 0), last) }
      : { row: 0, col: 0 };  // the first key press lands on the top-left cell
    showCursor();
  });

  var initial = document.getElementById("attention-result");
  if (initial) {
    state.result = JSON.parse(initial.textContent);
    state.computedText = textInput.value.trim();
    state.computedSource = state.result.source;
    describe(state.result);
    draw();
  } else if (!textError.textContent) {
    compute();
  }
  form.dataset.ready = "true";  // tests wait for this
}());
