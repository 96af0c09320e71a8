// Shared by the playgrounds whose computation runs on a worker (playgrounds/jobs.py).
// PlaygroundRun.start(form, box) POSTs the form (its action answers {status_url} or an
// {error}), then polls the status URL, showing the stage and a <progress> bar inside `box`
// (an element holding .run-progress <progress>, .run-stage and .run-error), and resolves
// with the computation's result; it rejects (after showing the message) on failure.
// Starting again while a run is being polled abandons the older one.
(function () {
  "use strict";

  var POLL_MS = 250;
  var generation = 0;

  function csrf(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function show(box, state) {
    var bar = box.querySelector(".run-progress");
    var stage = box.querySelector(".run-stage");
    var error = box.querySelector(".run-error");
    box.hidden = false;
    box.dataset.state = state.status || "";
    if (bar) { bar.value = state.progress || 0; bar.hidden = state.status === "failed"; }
    if (stage) { stage.textContent = state.stage || (state.status === "queued" ? "Waiting for a worker…" : ""); }
    if (error) { error.textContent = state.error || ""; }
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function poll(url, box, mine) {
    return fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("The computation's status could not be read (HTTP " + response.status + ")."); }
        return response.json();
      })
      .then(function (state) {
        if (mine !== generation) { return new Promise(function () {}); }  // superseded
        show(box, state);
        if (state.status === "done") { box.hidden = true; return state.result; }
        if (state.status === "failed") { throw new Error(state.error || "The computation failed."); }
        return sleep(POLL_MS).then(function () { return poll(url, box, mine); });
      });
  }

  function start(form, box, extra) {
    var mine = ++generation;
    var body = new FormData(form);
    if (extra) { Object.keys(extra).forEach(function (k) { body.set(k, extra[k]); }); }
    show(box, { status: "queued", progress: 0, stage: "Sending…" });
    return fetch(form.action, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrf(form), "Accept": "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) {
        return response.json().catch(function () { return { error: "The server answered HTTP " + response.status + "." }; });
      })
      .then(function (answer) {
        if (answer.error) { throw new Error(answer.error); }
        return poll(answer.status_url, box, mine);
      })
      .catch(function (error) {
        if (mine === generation) { show(box, { status: "failed", error: error.message }); }
        throw error;
      });
  }

  window.PlaygroundRun = { start: start };
})();
