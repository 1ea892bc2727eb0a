"""The foundation every app stands on: pure value rules and the change signal.

`kern` imports no app of this project (import-linter, pyproject.toml), so every app may use
it. It has no models and no pages; a rule that more than one app needs lives here once.
"""
