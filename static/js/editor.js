/* The grading panel's code editor: CodeMirror 5 (static/vendor/codemirror) over a textarea.
 *
 * The textarea stays the real form field, so the form works without JavaScript; the editor
 * copies its text back on every change, so htmx and a plain submit both send what is shown.
 *
 *   <textarea data-editor="python">           editable: line numbers, Python highlighting,
 *                                              Tab indents by 4 spaces, Ctrl/Cmd+Enter submits,
 *                                              Ctrl/Cmd+/ toggles comments, Esc then Tab leaves
 *   <textarea data-editor="python-readonly">  read-only view of submitted code
 *
 * With data-draft-key the editable text is also kept in localStorage as the learner types,
 * so nothing is lost to an expired session (the submit sends them to log in), a closed tab
 * or a crash: the next visit restores the draft over the saved version and says so, with a
 * way back. A submission the server accepted makes the draft the saved version again.
 */
(function () {
  "use strict";

  function submitForm(cm) {
    cm.save();
    var form = cm.getTextArea().form;
    if (!form) return;
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();  // fires "submit", so htmx handles it like a click
    } else {
      form.querySelector("[type=submit]").click();
    }
  }

  function indent(cm) {
    if (cm.somethingSelected()) {
      cm.indentSelection("add");
    } else {
      cm.replaceSelection(Array(cm.getOption("indentUnit") + 1).join(" "), "end", "+input");
    }
  }

  // Tab is taken by indentation; Esc hands keyboard users a way out: the next Tab moves on.
  function release(cm) {
    cm.getInputField().blur();
    var form = cm.getTextArea().form;
    var next = form && form.querySelector("input[type=file], [type=submit]");
    if (next) next.focus();
  }

  function readDraft(key) {
    try {
      var stored = JSON.parse(window.localStorage.getItem(key) || "null");
      return stored && typeof stored.text === "string" ? stored : null;
    } catch (error) {
      return null;  // storage disabled or a corrupt entry: work without drafts
    }
  }

  function writeDraft(key, text) {
    try {
      window.localStorage.setItem(key, JSON.stringify({ text: text, at: Date.now() }));
    } catch (error) { /* full or disabled: the editor still works */ }
  }

  function dropDraft(key) {
    try { window.localStorage.removeItem(key); } catch (error) { /* nothing to drop */ }
  }

  function restoredNote(cm, key, saved, at) {
    var note = document.createElement("p");
    note.className = "draft-note";
    note.setAttribute("role", "status");
    var when = new Date(at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    note.appendChild(document.createTextNode("Restored your unsubmitted edits from " + when + ". "));
    var back = document.createElement("button");
    back.type = "button";
    back.className = "link-button";
    back.textContent = "Show the saved version instead";
    back.addEventListener("click", function () {
      dropDraft(key);
      cm.setValue(saved);
      dropDraft(key);  // setValue's change event wrote it back
      note.remove();
      cm.focus();
    });
    note.appendChild(back);
    cm.getWrapperElement().parentNode.insertBefore(note, cm.getWrapperElement());
  }

  function keepDraft(cm, key) {
    var saved = cm.getValue();
    var draft = readDraft(key);
    if (draft && draft.text !== saved) {
      cm.setValue(draft.text);
      restoredNote(cm, key, saved, draft.at);
    } else if (draft) {
      dropDraft(key);
    }
    var timer = null;
    cm.on("change", function (editor) {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { writeDraft(key, editor.getValue()); }, 300);
    });
    // Losing the page before the timer fires must not lose the last keystrokes.
    window.addEventListener("pagehide", function () {
      if (timer !== null && cm.getValue() !== saved) writeDraft(key, cm.getValue());
    });
    var form = cm.getTextArea().form;
    if (!form) return;
    form.addEventListener("htmx:afterRequest", function (event) {
      var xhr = event.detail && event.detail.xhr;
      // Accepted, so the server holds it now: only an accepted submission triggers
      // grading-changed (a refusal is a 200 too, and a lapsed session an HX-Redirect).
      var trigger = xhr ? xhr.getResponseHeader("HX-Trigger") || "" : "";
      if (event.detail.successful && trigger.indexOf("grading-changed") !== -1) {
        window.clearTimeout(timer);
        timer = null;
        saved = cm.getValue();
        dropDraft(key);
        var note = cm.getWrapperElement().parentNode.querySelector(".draft-note");
        if (note) note.remove();
      }
    });
    form.addEventListener("submit", function () {
      if (!form.hasAttribute("hx-post")) writeDraft(key, cm.getValue());
    });
  }

  function enhance(textarea) {
    if (textarea.dataset.enhanced || typeof window.CodeMirror === "undefined") return;
    textarea.dataset.enhanced = "true";
    var readOnly = textarea.dataset.editor === "python-readonly";
    var cm = window.CodeMirror.fromTextArea(textarea, {
      mode: { name: "python", version: 3 },
      lineNumbers: true,
      indentUnit: 4,
      tabSize: 4,
      indentWithTabs: false,
      matchBrackets: true,
      autoCloseBrackets: !readOnly,
      styleActiveLine: !readOnly,
      readOnly: readOnly,
      viewportMargin: readOnly ? Infinity : 10,
      extraKeys: readOnly ? {} : {
        "Tab": indent,
        "Shift-Tab": function (editor) { editor.indentSelection("subtract"); },
        "Ctrl-Enter": submitForm,
        "Cmd-Enter": submitForm,
        "Ctrl-/": "toggleComment",
        "Cmd-/": "toggleComment",
        "Esc": release
      }
    });
    cm.getWrapperElement().classList.add(readOnly ? "cm-readonly" : "cm-editable");
    if (readOnly) return;
    cm.on("change", function (editor) { editor.save(); });
    if (textarea.dataset.draftKey) keepDraft(cm, textarea.dataset.draftKey);

    var form = textarea.form;
    var file = form && form.querySelector("input[type=file]");
    if (file) {
      // Show an uploaded file in the editor, so what is graded is what the learner sees.
      file.addEventListener("change", function () {
        var chosen = file.files && file.files[0];
        if (!chosen || chosen.size > 1024 * 1024) return;
        var reader = new FileReader();
        reader.onload = function () { cm.setValue(String(reader.result)); };
        reader.readAsText(chosen);
      });
      // After an htmx submit the file has been sent; the next submit grades the editor again.
      form.addEventListener("htmx:afterRequest", function () { file.value = ""; });
    }
  }

  function enhanceAll(root) {
    var areas = (root || document).querySelectorAll("textarea[data-editor]");
    for (var i = 0; i < areas.length; i++) enhance(areas[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
  // Content that htmx swaps in later (a panel loaded as a partial).
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
