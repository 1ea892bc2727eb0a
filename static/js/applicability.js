/* Applicability page (issue 11): a static file, not an inline script, so the
   Content-Security-Policy can refuse every inline script (issue 13). */
// Fill the college boxes in with the list in force for the chosen indicator and year (issue 11).
(function () {
  var form = document.getElementById("applicability-form");
  var lists = JSON.parse(document.getElementById("applicability-lists").textContent);
  var status = document.getElementById("prefill-status");
  var boxes = form.querySelectorAll('input[name="colleges"]');
  var years = JSON.parse(document.getElementById("applicability-years").textContent);
  function fill() {
    var byYear = lists[form.elements.indicator.value];
    if (!byYear) { return; }
    var year = form.elements.from_year.value || String(years[years.length - 1]);
    var codes = byYear[year];
    boxes.forEach(function (box) { box.checked = codes.indexOf(box.value) >= 0; });
    status.textContent = "De vinkjes staan zoals " + form.elements.indicator.value + " in " + year + " geldt: "
      + codes.length + " van " + boxes.length + " colleges. Pas ze aan en geef de reden.";
  }
  window.kwaliteit.onChoice([form.elements.indicator, form.elements.from_year], fill);
})();
