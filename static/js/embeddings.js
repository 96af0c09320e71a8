// Embedding explorer (templates/playgrounds/embeddings.html). The embedding is trained on a
// worker (playgrounds/computations/embeddings.py) through PlaygroundRun (playground-run.js):
// on load and whenever a setting changes, the form is POSTed and the run polled; its result
// holds the plotted words, their 2-D coordinates, each word's nearest neighbours (cosine
// similarity) and the training losses. This script draws the word map as SVG, labels a
// readable subset (every word on hover), and answers lookups from the stored neighbours.
// No inline script or style (CSP): classes and SVG attributes only.
(function () {
  "use strict";

  var form = document.getElementById("emb-form");
  if (!form || !window.PlaygroundRun) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var W = 720, H = 520, PAD = 30, MAX_LABELS = 70, CHAR_W = 6.4, LABEL_H = 12;
  var box = document.getElementById("emb-run");
  var svg = document.getElementById("emb-plot");
  var caption = document.getElementById("emb-caption");
  var stats = document.getElementById("emb-stats");
  var varianceOut = document.getElementById("emb-variance");
  var lossOut = document.getElementById("emb-loss");
  var lossChart = document.getElementById("emb-loss-chart");
  var epochs = document.getElementById("id_epochs");
  var epochsOut = document.getElementById("epochs-value");
  var lookupForm = document.getElementById("emb-lookup");
  var wordInput = document.getElementById("id_word");
  var wordError = document.getElementById("word-error");
  var suggestionsBox = document.getElementById("emb-suggestions");
  var neighboursList = document.getElementById("emb-neighbours");
  var neighboursTitle = document.getElementById("emb-neighbours-title");
  var MAX_WORD = parseInt(wordInput.getAttribute("maxlength"), 10);

  var result = null;   // the latest finished run's result
  var index = {};      // word -> position in result.tokens
  var points = [];     // the <g> of each plotted word
  var linkLayer = null;
  var pending = null;  // debounce timer for restarting training

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function percent(x) { return (x * 100).toFixed(1) + " %"; }

  // --- Settings and the URL ------------------------------------------------------------

  function query() {
    var params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    var word = wordInput.value.trim();
    if (word) { params.set("word", word); }
    return params;
  }

  function remember() { window.history.replaceState(null, "", "?" + query().toString()); }

  // --- Training ------------------------------------------------------------------------

  function train() {
    pending = null;
    remember();
    svg.setAttribute("data-state", "stale");
    form.dataset.state = "running";
    window.PlaygroundRun.start(form, box).then(function (answer) {
      result = answer;
      draw();
      svg.setAttribute("data-state", "ready");
      form.dataset.state = "done";
      if (wordInput.value.trim()) { lookup(wordInput.value, false); }
    }).catch(function () {
      // playground-run.js shows the message in the progress box; keep the old map.
      svg.setAttribute("data-state", result ? "ready" : "empty");
      form.dataset.state = "failed";
    });
  }

  function trainSoon(delay) {
    svg.setAttribute("data-state", "stale");
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(train, delay);
  }

  // --- Drawing -------------------------------------------------------------------------

  function scale(xs, ys) {
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    // One scale for both axes, so distances on the map are not stretched.
    var s = Math.min((W - 2 * PAD) / ((maxX - minX) || 1), (H - 2 * PAD) / ((maxY - minY) || 1));
    var offX = (W - s * (maxX - minX)) / 2, offY = (H - s * (maxY - minY)) / 2;
    return {
      x: function (v) { return Math.round((offX + s * (v - minX)) * 10) / 10; },
      y: function (v) { return Math.round((H - offY - s * (v - minY)) * 10) / 10; }
    };
  }

  function radius(count, maxCount) { return Math.round((2.2 + 4.3 * Math.sqrt(count / maxCount)) * 10) / 10; }

  function overlaps(a, placed) {
    for (var i = 0; i < placed.length; i++) {
      var b = placed[i];
      if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) { return true; }
    }
    return false;
  }

  // Where a word's label goes: right of its dot, or left of it near the right edge.
  function labelBox(word, cx, cy, r) {
    var width = word.length * CHAR_W, right = cx + r + 3 + width <= W - 2;
    var x = right ? cx + r + 3 : cx - r - 3;
    return { x: x, anchor: right ? "start" : "end", x1: right ? x : x - width,
             x2: right ? x + width : x, y1: cy - LABEL_H / 2, y2: cy + LABEL_H / 2 };
  }

  function draw() {
    var r = result, n = r.tokens.length;
    var at = scale(r.x, r.y), maxCount = Math.max.apply(null, r.counts);
    clear(svg);
    index = {};
    points = [];
    svg.appendChild(el("rect", { "class": "emb-frame", x: 0.5, y: 0.5, width: W - 1, height: H - 1 }));
    var axisX = r.projection === "pca" ? "PC1 · " + percent(r.variance[0]) : "t-SNE 1";
    var axisY = r.projection === "pca" ? "PC2 · " + percent(r.variance[1]) : "t-SNE 2";
    svg.appendChild(el("text", { "class": "emb-axis", x: W - 8, y: H - 8, "text-anchor": "end" }, axisX + " →"));
    svg.appendChild(el("text", { "class": "emb-axis", x: 8, y: 16 }, "↑ " + axisY));
    linkLayer = el("g", { "class": "emb-links" });
    svg.appendChild(linkLayer);
    var layer = el("g", { "class": "emb-points" });
    var placed = [], labelled = 0;
    // The words come most frequent first: they get the labels, and are drawn last (on top).
    r.tokens.forEach(function (_, i) {
      var word = r.tokens[i], cx = at.x(r.x[i]), cy = at.y(r.y[i]);
      var rad = radius(r.counts[i], maxCount), spot = labelBox(word, cx, cy, rad);
      var show = labelled < MAX_LABELS && spot.y1 > 2 && spot.y2 < H - 2 && spot.x1 > 2 &&
                 !overlaps(spot, placed);
      if (show) { placed.push(spot); labelled++; }
      var group = el("g", { "class": "emb-point" + (show ? " is-labelled" : ""), "data-token": word,
                            "data-index": i });
      group.appendChild(el("circle", { cx: cx, cy: cy, r: rad }));
      group.appendChild(el("text", { x: spot.x, y: cy + 4, "text-anchor": spot.anchor }, word));
      group.appendChild(el("title", {}, word + " · " + r.counts[i] + " uses"));
      index[word] = i;
      points[i] = group;
    });
    for (var j = n - 1; j >= 0; j--) { layer.appendChild(points[j]); }
    svg.appendChild(layer);
    describe(r);
  }

  function describe(r) {
    var dims = r.dim + " dimensions";
    caption.textContent = r.tokens.length + " most frequent words · " + dims + " · " +
      (r.trained ? "trained for " + r.epochs + (r.epochs === 1 ? " epoch" : " epochs")
                 : "untrained (random initialisation)") + " · " +
      (r.projection === "pca" ? "PCA" : "t-SNE") + ". Hover over a dot for its word; click it to see its neighbours.";
    varianceOut.textContent = r.projection === "pca"
      ? "PC1 " + percent(r.variance[0]) + " + PC2 " + percent(r.variance[1]) + " = " +
        percent(r.variance[0] + r.variance[1]) + " of the variance of the " + r.dim + "-dimensional vectors"
      : "t-SNE keeps neighbourhoods, not variance: clusters are meaningful, the axes and the distances between clusters are not";
    var losses = r.losses, uniform = "a uniform guess over the " + r.corpus.vocabulary +
      " words scores ln " + r.corpus.vocabulary + " = " + r.uniform_loss.toFixed(2);
    lossOut.textContent = r.trained
      ? losses[0].toFixed(2) + " before training → " + losses[losses.length - 1].toFixed(2) +
        " after " + r.epochs + (r.epochs === 1 ? " epoch" : " epochs") + " (" + uniform + ")"
      : losses[0].toFixed(2) + ", untrained (" + uniform + ")";
    stats.hidden = false;
    drawLoss(r);
  }

  function drawLoss(r) {
    clear(lossChart);
    // An <svg> has no .hidden property: toggle the attribute.
    if (!r.trained || r.losses.length < 2) { lossChart.setAttribute("hidden", ""); return; }
    var cw = 300, ch = 70, p = 8, ls = r.losses;
    var lo = Math.min.apply(null, ls), hi = Math.max.apply(null, ls), span = (hi - lo) || 1;
    var coords = ls.map(function (v, i) {
      var x = p + (cw - 2 * p) * i / (ls.length - 1);
      var y = p + (ch - 2 * p) * (hi - v) / span;
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    lossChart.appendChild(el("polyline", { "class": "emb-loss-line", points: coords.join(" ") }));
    var end = coords[coords.length - 1].split(",");
    lossChart.appendChild(el("text", { "class": "emb-loss-label", x: p + 4, y: p + 4 },
                             "loss " + ls[0].toFixed(2)));
    lossChart.appendChild(el("text", { "class": "emb-loss-label", x: end[0], y: Number(end[1]) - 5,
                                       "text-anchor": "end" }, ls[ls.length - 1].toFixed(2)));
    lossChart.appendChild(el("text", { "class": "emb-loss-label", x: p, y: ch - 2 }, "epoch 0"));
    lossChart.appendChild(el("text", { "class": "emb-loss-label", x: cw - p, y: ch - 2, "text-anchor": "end" },
                             "epoch " + r.epochs));
    lossChart.removeAttribute("hidden");
  }

  // --- Lookup --------------------------------------------------------------------------

  function normalise(text) {
    // Quotes or punctuation around the word are not part of it ("attention," → attention).
    return text.trim().toLowerCase().replace(/\u2019/g, "'")
      .replace(/^["'\u201c\u2018(]+|["'\u201d.,;:!?)]+$/g, "").replace(/'s$/, "");
  }

  function unhighlight() {
    svg.classList.remove("has-selection");
    points.forEach(function (g) { g.classList.remove("is-query", "is-neighbour"); });
    if (linkLayer) { clear(linkLayer); }
  }

  function wordButton(word, cls) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = cls;
    button.dataset.word = word;
    button.textContent = word;
    return button;
  }

  function suggest(word) {
    var tokens = result.tokens, found = [];
    for (var len = Math.min(word.length, 6); len >= 2 && !found.length; len--) {
      var prefix = word.slice(0, len);
      found = tokens.filter(function (t) { return t !== word && t.indexOf(prefix) === 0; });
    }
    var lead = found.length ? "Did you mean:" : "Try one of these:";
    if (!found.length) { found = tokens; }
    clear(suggestionsBox);
    var text = document.createElement("span");
    text.textContent = lead + " ";
    suggestionsBox.appendChild(text);
    found.slice(0, 6).forEach(function (t) { suggestionsBox.appendChild(wordButton(t, "emb-word")); });
    suggestionsBox.hidden = false;
  }

  function fail(message, word) {
    wordError.textContent = message;
    neighboursList.hidden = neighboursTitle.hidden = true;
    unhighlight();
    if (word !== undefined && result) { suggest(word); }
  }

  function lookup(raw, fromUser) {
    var word = normalise(raw);
    suggestionsBox.hidden = true;
    if (raw.length > MAX_WORD) { return fail("Type one word of at most " + MAX_WORD + " characters."); }
    if (!word) { return fail(fromUser ? "Type a word to look up, for example attention." : ""); }
    if (/\s/.test(word)) { return fail("Type a single word: “" + raw.trim() + "” has spaces in it."); }
    if (!result) { return fail("Wait for the map: the embedding is still being trained."); }
    if (!(word in index)) {
      var quoted = "“" + word + "”", count = result.rarer_words[word];
      var last = result.counts[result.counts.length - 1];
      if (result.function_words.indexOf(word) !== -1) {
        return fail(quoted + " is a function word: it is trained on, but left off the map because it sits next to every word.", word);
      }
      if (count === 1) {
        return fail(quoted + " appears only once in the corpus, so it is read as <|unk|> and has no embedding of its own.", word);
      }
      if (count) {
        return fail(quoted + " appears " + count + " times in the corpus: it has an embedding, but only the " +
                    result.tokens.length + " most frequent words (" + last + " uses or more) are on the map.", word);
      }
      return fail(quoted + " is not in the corpus.", word);
    }
    wordError.textContent = "";
    show(index[word]);
  }

  function show(i) {
    var r = result, near = r.neighbours[i], sims = r.similarities[i];
    unhighlight();
    svg.classList.add("has-selection");
    var query = points[i], qc = query.querySelector("circle");
    query.classList.add("is-query");
    clear(neighboursList);
    near.forEach(function (j, k) {
      var c = points[j].querySelector("circle");
      points[j].classList.add("is-neighbour");
      linkLayer.appendChild(el("line", { x1: qc.getAttribute("cx"), y1: qc.getAttribute("cy"),
                                         x2: c.getAttribute("cx"), y2: c.getAttribute("cy") }));
      var item = document.createElement("li");
      item.dataset.word = r.tokens[j];
      item.appendChild(wordButton(r.tokens[j], "emb-word"));
      var bar = document.createElement("progress");
      bar.max = 1;
      bar.value = Math.max(0, sims[k]);
      bar.setAttribute("aria-label", "cosine similarity");
      item.appendChild(bar);
      var score = document.createElement("span");
      score.className = "emb-score";
      score.textContent = sims[k].toFixed(2);
      item.appendChild(score);
      neighboursList.appendChild(item);
    });
    query.parentNode.appendChild(query);  // on top of its neighbours
    neighboursTitle.textContent = "Nearest to “" + r.tokens[i] + "” (" + r.counts[i] + " uses):";
    neighboursList.hidden = neighboursTitle.hidden = false;
  }

  function choose(word) {
    wordInput.value = word;
    lookup(word, true);
    remember();
  }

  // --- Events --------------------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    train();
  });
  form.addEventListener("input", function (event) {
    if (event.target === epochs) { epochsOut.textContent = epochs.value; }
  });
  form.addEventListener("change", function (event) {
    // A slider sends one change per arrow key: wait until the learner stops.
    trainSoon(event.target === epochs ? 500 : 0);
  });
  lookupForm.addEventListener("submit", function (event) {
    event.preventDefault();
    lookup(wordInput.value, true);
    remember();
  });
  lookupForm.addEventListener("click", function (event) {
    var target = event.target.closest("button.emb-word");
    if (target) { choose(target.dataset.word); }
  });
  svg.addEventListener("click", function (event) {
    var point = event.target.closest(".emb-point");
    if (point) { choose(point.dataset.token); }
  });

  svg.setAttribute("data-state", "empty");
  form.dataset.ready = "true";  // tests wait for this
  train();
}());
