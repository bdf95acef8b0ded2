"use strict";
/* Sorting, filtering and drill-down dialogs for the static leaderboard; no network, no libraries. */
(function () {
  function key(row, idx, numeric) {
    var raw = row.cells[idx].getAttribute("data-value");
    if (!numeric) { return raw === null ? "" : raw.toLowerCase(); }
    return raw === null || raw === "" ? NaN : parseFloat(raw);
  }

  function sortBy(table, th, idx) {
    var numeric = th.getAttribute("data-type") === "num";
    var current = th.getAttribute("aria-sort");
    var bestFirst = th.getAttribute("data-higher") === "false" ? "ascending" : "descending";
    var first = numeric && th.hasAttribute("data-higher") ? bestFirst : "ascending";
    var order = current === null ? first : (current === "ascending" ? "descending" : "ascending");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", order);
    var sign = order === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, idx, numeric), y = key(b, idx, numeric);
      if (numeric) {
        if (isNaN(x) && isNaN(y)) { return 0; }
        if (isNaN(x)) { return 1; }
        if (isNaN(y)) { return -1; }
        return sign * (x - y);
      }
      return sign * x.localeCompare(y);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.board"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, idx) {
      if (!th.classList.contains("sortable")) { return; }
      th.addEventListener("click", function () { sortBy(table, th, idx); });
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(table, th, idx); }
      });
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("input.filter"), function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = q !== "" && (row.getAttribute("data-search") || "").indexOf(q) < 0;
      });
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.drill"), function (button) {
    button.addEventListener("click", function () {
      document.getElementById(button.getAttribute("data-dialog")).showModal();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("dialog"), function (dialog) {
    dialog.addEventListener("click", function (ev) { if (ev.target === dialog) { dialog.close(); } });
  });
})();
