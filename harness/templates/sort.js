// Sorts a table.sortable by the column whose header is clicked (or given Enter): numbers by a
// cell's data-sort, other cells by their text; cells without a value last either way; each
// <tbody> (a group of rows) on its own, its group heading kept first.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  heads.forEach(function (th, col) {
    th.tabIndex = 0;
    th.title = th.title || "Sort";
    function key(row) {
      var cell = row.cells[col];
      if (!cell) return null;
      if (cell.hasAttribute("data-sort")) return parseFloat(cell.getAttribute("data-sort"));
      var text = cell.textContent.trim();
      return text === "" || text === "-" ? null : text;
    }
    function sort() {
      var up = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      table.querySelectorAll("tbody").forEach(function (body) {
        var rows = Array.prototype.filter.call(body.rows, function (r) {
          return !r.classList.contains("group");
        });
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === null || y === null) return (x === null) - (y === null);
          var c = typeof x === "number" && typeof y === "number"
            ? x - y
            : String(x).localeCompare(String(y), undefined, { numeric: true });
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
  });
});
