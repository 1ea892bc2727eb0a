'use strict';
// The dashboards' plotly.js: the core (scatter, shapes, annotations, legend, hover, modebar) and the
// traces rapportage/charts.py draws. Made like plotly's own lib/index-cartesian.js, which has no
// treemap (the budget page's chart); the full bundle has 40 more trace types nobody draws here.
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/treemap')
]);

module.exports = Plotly;
