/* The grading panel's code editor: CodeMirror 5 (static/vendor/codemirror) over a textarea.
 *
 * The textarea stays the real form field, so the form works without JavaScript; the editor
 * copies its text back on every change, so htmx and a plain submit both send what is shown.
 *
 *   <textarea data-editor="python">           editable: line numbers, Python highlighting,
 *                                              Tab indents by 4 spaces, Ctrl/Cmd+Enter submits,
 *                                              Ctrl/Cmd+/ toggles comments, Esc then Tab leaves
 *   <textarea data-editor="python-readonly">  read-only view of submitted code
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
