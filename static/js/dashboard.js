/* Board dashboards: draw the plotly figures whose JSON sits in <script type="application/json">
   elements (Django's json_script), and wire the print button. plotly.js is served from
   static/js/plotly-4.1.1-kwaliteit.min.js (never a CDN; a partial bundle, vendor/plotly/README.md). */
(function () {
  "use strict";
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      Plotly.newPlot(el, figure.data, figure.layout, config);
    });
  }

  function resizeAll() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll(".js-plotly-plot").forEach(function (el) { Plotly.Plots.resize(el); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    // Charts inside a <details> have no width until opened: resize them then.
    document.querySelectorAll("details").forEach(function (d) { d.addEventListener("toggle", resizeAll); });
  });
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
