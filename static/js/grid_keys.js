// The results grid by keyboard (issue 15): one tab stop into the grid instead of one per field,
// arrow keys between the cells and Enter down to the next team. Without this script every field
// is a tab stop, as before.
//
// The fields of the grid (value, n, note and history link of each cell) keep a "roving"
// tabindex: only the last one used is in the tab order, so Tab leaves the grid at once.
// Up and Down (and Enter) go to the same kind of field in the team row above or below; Left and
// Right go to the previous or next field of the row, but in a text field only when the caret is
// at its start or end (or the text is selected, or the field is empty), so typing and moving the
// caret inside a value still work.
(function () {
  "use strict";
  var form = document.getElementById("grid-form");
  if (!form) {
    return;
  }
  var body = form.querySelector("table.grid tbody");
  if (!body) {
    return;
  }
  var SELECTOR = "td input:not([type=hidden]), td a";

  function rows() {
    // Read the rows each time: a note field can appear in a cell after a refused save.
    return Array.prototype.filter.call(body.rows, function (row) {
      return row.querySelector(SELECTOR) !== null;
    });
  }

  function fields(row) {
    return Array.prototype.slice.call(row.querySelectorAll(SELECTOR));
  }

  function kind(field) {
    if (field.tagName === "A") {
      return "link";
    }
    return field.classList.contains("value") ? "value" : field.classList.contains("n") ? "n" : "note";
  }

  function column(field) {
    return field.closest("td").cellIndex;
  }

  var all = Array.prototype.slice.call(body.querySelectorAll(SELECTOR));
  if (!all.length) {
    return;
  }
  var active = all.find(function (field) {
    return field.getAttribute("aria-invalid") === "true";
  }) || body.querySelector("input.value") || all[0];

  function activate(field) {
    if (active && active !== field) {
      active.setAttribute("tabindex", "-1");
    }
    active = field;
    field.setAttribute("tabindex", "0");
  }

  function move(field) {
    if (!field) {
      return false;
    }
    activate(field);
    field.focus();
    if (field.tagName === "INPUT") {
      field.select();
    }
    return true;
  }

  function vertical(field, step) {
    var list = rows();
    var index = list.indexOf(field.closest("tr")) + step;
    var col = column(field);
    var wanted = kind(field);
    for (; index >= 0 && index < list.length; index += step) {
      var same = fields(list[index]).filter(function (other) {
        return column(other) === col;
      });
      var target = same.find(function (other) {
        return kind(other) === wanted;
      }) || same.find(function (other) {
        return kind(other) === "value";
      }) || (wanted === "link" ? same[0] : null);
      if (target) {
        return target;
      }
    }
    return null;
  }

  function horizontal(field, step) {
    var list = fields(field.closest("tr"));
    return list[list.indexOf(field) + step] || null;
  }

  function atEdge(field, step) {
    if (field.tagName !== "INPUT") {
      return true;
    }
    var length = field.value.length;
    var start = field.selectionStart;
    var end = field.selectionEnd;
    if (length === 0 || (start === 0 && end === length)) {
      return true;
    }
    if (start !== end) {
      return false;
    }
    return step < 0 ? start === 0 : end === length;
  }

  all.forEach(function (field) {
    field.setAttribute("tabindex", field === active ? "0" : "-1");
  });

  // The sticky header row must never cover the field that has focus (an error link, Tab or the
  // arrow keys can bring one to the top of the scroll region): the region's scroll padding is the
  // header's real height, which the indicator names make differ per screen width, and a field that
  // still lies under the header is scrolled out from under it.
  var scroller = form.querySelector(".grid-scroll");
  var head = form.querySelector("table.grid thead");
  function headerHeight() {
    return head ? head.getBoundingClientRect().height : 0;
  }
  function padForHeader() {
    if (scroller && head) {
      scroller.style.scrollPaddingTop = Math.ceil(headerHeight()) + 8 + "px";
    }
  }
  function uncover(field) {
    if (!scroller || !head) {
      return;
    }
    var below = head.getBoundingClientRect().bottom + 4;
    var top = field.getBoundingClientRect().top;
    if (top < below) {
      scroller.scrollTop -= below - top;
    }
  }
  padForHeader();
  window.addEventListener("resize", padForHeader);

  body.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(SELECTOR)) {
      activate(event.target);
      uncover(event.target);
    }
  });

  body.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches(SELECTOR) || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var target = null;
    switch (event.key) {
      case "ArrowUp":
        target = vertical(field, -1);
        break;
      case "ArrowDown":
        target = vertical(field, 1);
        break;
      case "Enter":
        if (field.tagName !== "INPUT") {
          return; // a history link opens as usual
        }
        // Enter goes down a team, as in a spreadsheet; the Opslaan button saves.
        event.preventDefault();
        target = vertical(field, event.shiftKey ? -1 : 1);
        break;
      case "ArrowLeft":
        if (!atEdge(field, -1)) {
          return;
        }
        target = horizontal(field, -1);
        break;
      case "ArrowRight":
        if (!atEdge(field, 1)) {
          return;
        }
        target = horizontal(field, 1);
        break;
      default:
        return;
    }
    if (move(target)) {
      event.preventDefault();
    }
  });
})();
