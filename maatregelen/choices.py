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


class ReviewLevel(models.TextChoices):
    """The unit a Q-gesprek is held for: the agenda runs them on three levels (issue 15, item 4)."""

    TEAM = "team", "team"
    COLLEGE = "college", "college"
    INSTITUTION = "instelling", "instelling"


class ActionStatus(models.TextChoices):
    """Where an agreed action (actiepunt) of a Q-gesprek stands; the next conversation updates it."""

    OPEN = "open", "open"
    IN_PROGRESS = "in_uitvoering", "in uitvoering"
    DONE = "gereed", "gereed"
    DROPPED = "vervallen", "vervallen"


# Actions in these states are followed up in the next conversation of the same unit.
ACTION_STATUSES_OPEN = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class CheckInStatus(models.TextChoices):
    """How an ambition is doing, as the people in a Q-gesprek judge it (a check-in per indicator)."""

    ON_TRACK = "op_koers", "op koers"
    AT_RISK = "risico", "risico"
    OFF_TRACK = "uit_koers", "uit koers"


class PromiseOrigin(models.TextChoices):
    """Where a promise (belofte) of the manifesto's model comes from."""

    OWN_STRATEGY = "eigen_strategie", "eigen strategie"
    EXTERNAL = "extern", "externe ontwikkelingen"
    BOTH = "beide", "eigen strategie en externe ontwikkelingen"


class TargetGroup(models.TextChoices):
    """The manifesto's target groups; the agenda's own groups are free text beside them."""

    STARTERS = "starters", "starters"
    RESTARTERS = "herstarters", "herstarters"
    CONTINUERS = "doorstarters", "doorstarters"
