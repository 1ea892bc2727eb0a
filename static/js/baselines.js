/* Baselines policy page: a static file, not an inline script (the CSP refuses inline scripts, issue 13). */
// Fill the baseline year and value in with the baseline in force for the chosen indicator and year.
(function () {
  var form = document.getElementById("baseline-form");
  var values = JSON.parse(document.getElementById("baseline-values").textContent);
  var status = document.getElementById("prefill-status");
  function fill() {
    var byYear = values[form.elements.indicator.value];
    var year = form.elements.from_year.value;
    if (!byYear || !byYear[year]) { return; }
    form.elements.baseline_year.value = byYear[year].baseline_year;
    form.elements.baseline_value.value = byYear[year].baseline_value;
    status.textContent = "Ingevuld: de nulmeting van " + form.elements.indicator.value + " in " + year + ". Pas haar aan en geef de reden.";
  }
  window.kwaliteit.onChoice([form.elements.indicator, form.elements.from_year], fill);
})();
