"""Fixed vocabularies of measures and noticeable evidence (domain.md)."""

from django.db import models


class MeasureCategory(models.TextChoices):
    PROGRAMME = "programma", "programma"
    SUPPORT = "begeleiding", "begeleiding, ondersteuning en stimulering"


class MeasureStatus(models.TextChoices):
    PLANNED = "gepland", "gepland"
    RUNNING = "lopend", "lopend"
    DONE = "afgerond", "afgerond"
    STOPPED = "gestopt", "gestopt"


class EvidenceKind(models.TextChoices):
    STORY = "verhaal", "verhaal"
    AUDIT = "audit", "auditbevinding"
    JOURNEY = "studentreis", "episode studentreis"
    IMAGE = "beeld", "beeld (link)"
