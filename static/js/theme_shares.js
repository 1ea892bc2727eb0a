/* Theme shares page (herijking): a static file, not an inline script, so the
   Content-Security-Policy can refuse every inline script (issue 13). */
// Fill the share in with the one in force for the chosen theme and year.
(function () {
  var form = document.getElementById("share-form");
  var shares = JSON.parse(document.getElementById("theme-shares").textContent);
  var status = document.getElementById("prefill-status");
  var years = JSON.parse(document.getElementById("theme-share-years").textContent);
  function fill() {
    var byYear = shares[form.elements.theme.value];
    if (!byYear) { return; }
    var year = form.elements.from_year.value || String(years[years.length - 1]);
    form.elements.budget_share_pct.value = byYear[year];
    status.textContent = "Ingevuld: het aandeel van " + form.elements.theme.value + " in " + year + " (" + byYear[year] + " %).";
  }
  window.kwaliteit.onChoice([form.elements.theme, form.elements.from_year], fill);
})();
