"""Entering figures: the results grid, uploads with their dry run, their pages and API.

It stands above rapportage because every way in shows what a change does to the verdicts
(the dry run's flips, the grid's flip log). The data it writes live in indicatoren and
are written only through indicatoren.services.measurements_apply.
"""
