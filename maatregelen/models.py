"""What colleges do and what it shows: measures, noticeable evidence and Q-reviews."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from agenda.models import College, Indicator, Institution, Team, Theme
from maatregelen.choices import EvidenceKind, MeasureCategory, MeasureStatus  # older code imports them from here


class Measure(models.Model):
    """A measure (maatregel): a programme or support action of a theme, ROC-wide or per college."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="measures")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="measures", verbose_name="thema")
    college = models.ForeignKey(
        College,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures",
        verbose_name="college",
        help_text="leeg: ROC-breed",
    )
    title = models.CharField("titel", max_length=200)
    description = models.TextField("beschrijving", blank=True)
    category = models.CharField("categorie", max_length=12, choices=MeasureCategory.choices)
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="measures", verbose_name="indicatoren")
    planned_budget_cents = models.BigIntegerField("gepland budget (eurocent)", default=0)
    status = models.CharField("status", max_length=10, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED)
    owner = models.CharField("eigenaar", max_length=200, blank=True)
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords(m2m_fields=[indicators])

    class Meta:
        verbose_name = "maatregel"
        verbose_name_plural = "maatregelen"
        ordering = ["theme__position", "college__code", "title"]
        constraints = [models.CheckConstraint(condition=Q(planned_budget_cents__gte=0), name="measure_budget_nonneg")]

    def __str__(self):
        return self.title

    def clean(self):
        if self.college_id and self.college.institution_id != self.institution_id:
            raise ValidationError({"college": "Het college hoort niet bij deze instelling."})


class Evidence(models.Model):
    """Noticeable evidence (merkbaar): a story, audit finding, journey episode or image link."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="evidence")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="evidence", verbose_name="thema")
    college = models.ForeignKey(
        College, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence", verbose_name="college"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence", verbose_name="team"
    )
    year = models.PositiveSmallIntegerField("jaar")
    kind = models.CharField("soort", max_length=12, choices=EvidenceKind.choices)
    title = models.CharField("titel", max_length=200)
    text = models.TextField("tekst", blank=True)
    link = models.URLField("link", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField("vastgelegd op", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "merkbaar bewijs"
        verbose_name_plural = "merkbaar bewijs"
        ordering = ["-year", "theme__position", "title"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.team_id and self.college_id and self.team.college_id != self.college_id:
            raise ValidationError({"team": "Het team hoort niet bij dit college."})


class Review(models.Model):
    """A Q-review (Q-gesprek) of a college in one quadrimester: notes and agreed actions."""

    college = models.ForeignKey(College, on_delete=models.PROTECT, related_name="reviews", verbose_name="college")
    year = models.PositiveSmallIntegerField("jaar")
    quadrimester = models.PositiveSmallIntegerField("quadrimester", choices=[(1, "Q1"), (2, "Q2"), (3, "Q3")])
    held_on = models.DateField("datum", null=True, blank=True)
    notes = models.TextField("verslag", blank=True)
    actions = models.TextField("afspraken", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "Q-gesprek"
        verbose_name_plural = "Q-gesprekken"
        ordering = ["college", "-year", "-quadrimester"]
        constraints = [
            models.UniqueConstraint(fields=["college", "year", "quadrimester"], name="review_unique"),
        ]

    def __str__(self):
        return f"{self.college.code} {self.year} Q{self.quadrimester}"
