// The Catalog tab's template editor: "Add" and "Remove" for the repeatable
// rows (channels, request fields, approval stages) without a round trip.
// Without this script the form still works: "Add" posts the form back with
// one more empty row, and emptying a row removes it.
(function () {
  "use strict";
  var form = document.getElementById("catalog-form");
  if (!form) {
    return;
  }

  // renumber gives a row index n: names "ch.3.x", ids and labels "ch-3-x",
  // and the legend ("Channel #").
  function renumber(row, kind, n) {
    row.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace(new RegExp("^" + kind + "\\.\\d+\\."), kind + "." + n + ".");
    });
    row.querySelectorAll("[id]").forEach(function (el) {
      el.id = el.id.replace(new RegExp("^" + kind + "-\\d+-"), kind + "-" + n + "-");
    });
    row.querySelectorAll("label[for]").forEach(function (el) {
      el.htmlFor = el.htmlFor.replace(new RegExp("^" + kind + "-\\d+-"), kind + "-" + n + "-");
    });
    var legend = row.querySelector("legend[data-legend]");
    if (legend) {
      legend.textContent = legend.dataset.legend.replace("#", String(n + 1));
    }
  }

  function renumberAll(box) {
    var kind = box.dataset.rows;
    box.querySelectorAll(":scope > [data-row]").forEach(function (row, i) {
      renumber(row, kind, i);
    });
  }

  function clear(row) {
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (el.type === "checkbox") {
        el.checked = false;
      } else if (el.tagName === "SELECT") {
        el.selectedIndex = 0;
      } else {
        el.value = "";
      }
    });
  }

  function updateAdd(box) {
    var max = parseInt(box.dataset.max || "0", 10);
    var add = form.querySelector('[data-add="' + box.dataset.rows + '"]');
    if (add && max > 0) {
      add.hidden = box.querySelectorAll(":scope > [data-row]").length >= max;
    }
  }

  form.querySelectorAll("[data-rows]").forEach(function (box) {
    box.querySelectorAll("[data-remove]").forEach(function (b) { b.hidden = false; });
    updateAdd(box);
  });

  form.addEventListener("click", function (ev) {
    var add = ev.target.closest("[data-add]");
    if (add) {
      ev.preventDefault();
      var box = form.querySelector('[data-rows="' + add.dataset.add + '"]');
      var rows = box.querySelectorAll(":scope > [data-row]");
      var copy = rows[rows.length - 1].cloneNode(true);
      clear(copy);
      box.appendChild(copy);
      renumberAll(box);
      updateAdd(box);
      var first = copy.querySelector("input, textarea, select");
      if (first) {
        first.focus();
      }
      return;
    }
    var remove = ev.target.closest("[data-remove]");
    if (remove) {
      ev.preventDefault();
      var row = remove.closest("[data-row]");
      var container = row.parentElement;
      if (container.querySelectorAll(":scope > [data-row]").length === 1) {
        clear(row); // keep one row to add from
      } else {
        row.remove();
      }
      renumberAll(container);
      updateAdd(container);
      var next = form.querySelector('[data-add="' + container.dataset.rows + '"]');
      if (next) {
        next.focus();
      }
    }
  });
})();
