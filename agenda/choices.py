"""Fixed vocabularies of the agenda (domain.md, contracts.md section 1)."""

from django.db import models


class Unit(models.TextChoices):
    PERCENT = "percent", "percentage (0-100)"
    SCORE = "score", "cijfer (1-10)"
    COUNT = "count", "aantal (>= 0)"


class Polarity(models.TextChoices):
    HIGHER = "higher", "hoger is beter"
    LOWER = "lower", "lager is beter"


class Level(models.TextChoices):
    TEAM = "team", "team"
    COLLEGE = "college", "mbo-college"
    INSTITUTION = "institution", "instelling"


class AmbitionType(models.TextChoices):
    TARGET = "target", "streefcijfer"
    IMPROVE = "improve", "verbeteren"
    MAINTAIN = "maintain", "behoud"
    MONITOR = "monitor", "monitoren"


class Effect(models.TextChoices):
    POSITIVE = "+", "positief"
    NEGATIVE = "-", "negatief"
    UNKNOWN = "?", "onbekend"


class Role(models.TextChoices):
    BOARD = "bestuur", "bestuur (lezen)"
    DIRECTOR = "directeur", "collegedirecteur"
    # Enters and comments on its own team's values; the director submits them (issue 15).
    TEAM_LEADER = "teamleider", "teamleider"
    POLICY = "beleid", "beleidsmedewerker"
    API = "api", "API-client"
    # Horizontal accountability (issue 14, item 4): reads only the curated public view
    # (/verantwoording/), never the figures behind it (agenda/permissions.py).
    PARTNER = "partner", "regionale partner / medezeggenschap (lezen, openbaar deel)"
