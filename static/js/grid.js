// The results grid: warn before leaving with unsaved changes (issue 5). The grid works
// without this script; it only adds the warning and marks changed cells.
(function () {
  "use strict";
  var form = document.getElementById("grid-form");
  if (!form) {
    return;
  }
  // A page re-rendered with errors holds entered values that are not saved yet.
  var dirty = form.getAttribute("data-dirty") === "true";

  function changed(field) {
    dirty = true;
    var cell = field.closest("td");
    if (cell) {
      cell.classList.add("changed");
    }
  }
  form.addEventListener("input", function (event) {
    changed(event.target);
  });
  // This script is deferred: on a slow line a value typed before it ran sent no "input" event here.
  Array.prototype.forEach.call(form.elements, function (field) {
    if ((field.tagName === "INPUT" || field.tagName === "TEXTAREA") && field.type !== "hidden"
        && field.value !== field.defaultValue) {
      changed(field);
    }
  });
  form.addEventListener("submit", function () {
    dirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) {
      return undefined;
    }
    // Browsers show their own text; returnValue must be set for older ones.
    event.preventDefault();
    event.returnValue = "Er zijn wijzigingen die nog niet zijn opgeslagen.";
    return event.returnValue;
  });
})();
