/* Ambitions policy page: a static file, not an inline script (the CSP refuses inline scripts, issue 13). */
// Fill type, target, margin and "indicatief" in with the ambition in force for the chosen indicator and year.
(function () {
  var form = document.getElementById("ambition-form");
  var values = JSON.parse(document.getElementById("ambition-values").textContent);
  var status = document.getElementById("prefill-status");
  function fill() {
    var byYear = values[form.elements.indicator.value];
    var year = form.elements.from_year.value;
    if (!byYear || !byYear[year]) { return; }
    var ambition = byYear[year];
    form.elements.type.value = ambition.type;
    form.elements.target.value = ambition.target;
    form.elements.tolerance.value = ambition.tolerance;
    form.elements.indicative.checked = ambition.indicative;
    status.textContent = "Ingevuld: de ambitie van " + form.elements.indicator.value + " in " + year + ". Pas haar aan en geef de reden.";
  }
  window.kwaliteit.onChoice([form.elements.indicator, form.elements.from_year], fill);
})();
