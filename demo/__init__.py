"""The synthetic ROCvAF demo: team figures generated to match the agenda's college figures.

It stands on every other app (it loads teams, data, measures and a herijking through their
services), so nothing imports it. `make demo` runs its command `demo_setup`.
"""
