// Cohort overview: a grid cell's title says its status ("Passed, 2 attempts"); the column's
// header names the challenge. When the pointer or focus reaches a cell, put the challenge's
// name in front of its status, so the tooltip reads "1. Build Your Own Tokenizer: Passed, …".
// Delegated on the document: htmx swaps the grid when sorting, filtering and paging.
(() => {
  "use strict";

  function name(cell) {
    if (cell.dataset.named) return;
    cell.dataset.named = "1";
    const table = cell.closest("table");
    const header = table && table.tHead && table.tHead.rows[0].cells[cell.cellIndex];
    const abbr = header && header.querySelector("abbr[title]");
    if (abbr) cell.title = `${abbr.title}: ${cell.title}`;
  }

  for (const type of ["mouseover", "focusin"]) {
    document.addEventListener(type, (event) => {
      const cell = event.target instanceof Element && event.target.closest(".overview-table td.cell");
      if (cell) name(cell);
    });
  }
})();
