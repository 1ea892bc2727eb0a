"""The fixed value lists of rapportage (imported by the models, services, pages and API)."""

from django.db import models

from rapportage.engine.words import INDICATOR_BASIS_WORDS


class RunState(models.TextChoices):
    PENDING = "pending", "wacht"
    RUNNING = "running", "bezig"
    DONE = "done", "klaar"
    FAILED = "failed", "mislukt"


class Basis(models.TextChoices):
    # The labels are the words of rapportage.engine.words (their one home); changing one needs a migration.
    COLLEGES = "colleges", INDICATOR_BASIS_WORDS["colleges"]
    INSTITUTION = "institution", INDICATOR_BASIS_WORDS["institution"]
    NOT_MET = "not_met", INDICATOR_BASIS_WORDS["not_met"]
    MONITOR = "monitor", INDICATOR_BASIS_WORDS["monitor"]
    NO_DATA = "no_data", INDICATOR_BASIS_WORDS["no_data"]


class Version(models.TextChoices):
    CURRENT = "current", "geldende ambitie"
    ORIGINAL = "original", "oorspronkelijke ambitie"


class BudgetKind(models.TextChoices):
    # The theme amounts the change log follows (rapportage.engine.changes.BUDGET_KINDS).
    RELEASED = "released", "vrijgegeven"
    RESERVED = "reserved", "gereserveerd"
    RELEASED_FROM_RESERVE = "released_from_reserve", "vrijgegeven uit reserve"


class Frequency(models.TextChoices):
    # How often a subscriber gets the board pack (issue 14, item 5): checked by beat, or after an upload's recompute.
    WEEKLY = "weekly", "wekelijks"
    MONTHLY = "monthly", "maandelijks"
    AFTER_UPLOAD = "after_upload", "na elke upload"


class PackContent(models.TextChoices):
    # "pack" attaches the annual-report workbook (rapportage.exports); the signed documents of item 3 come later.
    SUMMARY = "summary", "samenvatting"
    PACK = "pack", "samenvatting met Excel-rapportage"
