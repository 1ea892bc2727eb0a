"""Measured values: indicator results per unit and year, student numbers, and benchmark uploads."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from agenda.choices import Level
from agenda.models import College, Indicator, Institution, Team
from indicatoren.choices import SignoffState, UploadStatus
from kern.fields import ValueField


def check_value_and_n(row) -> None:
    """Raise the one-row rules of kern.rules for a value row (Measurement, ContextValue): range, decimals, n."""
    from kern import rules

    if row.value is not None and row.indicator_id is not None:
        problem = rules.value_problem(row.indicator.unit, row.value)
        if problem:
            raise ValidationError({"value": problem})
    problem = rules.n_problem(row.n)
    if problem:
        raise ValidationError({"n": problem})


class Upload(models.Model):
    """A benchmark file as received: who, when, the original file, checksum, counts and errors."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="uploads", verbose_name="instelling"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="door"
    )
    uploaded_at = models.DateTimeField("ontvangen op", auto_now_add=True)
    applied_at = models.DateTimeField("verwerkt op", null=True, blank=True)
    channel = models.CharField("kanaal", max_length=10, default="web")  # web | api | command | grid
    original_name = models.CharField("bestandsnaam", max_length=255)
    stored_file = models.CharField("opgeslagen bestand", max_length=500, blank=True)
    size_bytes = models.PositiveBigIntegerField("grootte (bytes)", default=0)
    checksum = models.CharField("sha256", max_length=64, db_index=True)
    file_format = models.CharField("formaat", max_length=20, blank=True)
    layout = models.CharField("indeling", max_length=10, blank=True)  # long | wide
    status = models.CharField("status", max_length=10, choices=UploadStatus.choices)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, verbose_name="zelfde bestand als"
    )
    rows_total = models.PositiveIntegerField("rijen", default=0)
    rows_new = models.PositiveIntegerField("nieuw", default=0)
    rows_changed = models.PositiveIntegerField("gewijzigd", default=0)
    rows_unchanged = models.PositiveIntegerField("ongewijzigd", default=0)
    errors = models.JSONField("fouten", default=list, blank=True)
    scope_college = models.ForeignKey(
        College, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="beperkt tot college"
    )
    recompute_run = models.ForeignKey(
        "rapportage.RecomputeRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploads",
        verbose_name="herberekening",
    )

    class Meta:
        verbose_name = "upload"
        verbose_name_plural = "uploads"
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"


class Measurement(models.Model):
    """One value of an indicator for one year at one unit: a team, a college or the institution."""

    # No index of its own: measurement_ind_year (indicator, year) serves every lookup by indicator, and
    # each index is written for every value stored (issue 16: 100,000 rows per import).
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="measurements", db_index=False)
    year = models.PositiveSmallIntegerField("jaar")
    level = models.CharField("niveau", max_length=12, choices=Level.choices)
    college = models.ForeignKey(College, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="measurements")
    value = ValueField("waarde")
    n = models.PositiveIntegerField("n (noemer)", null=True, blank=True)
    source = models.CharField("bron", max_length=200, blank=True)
    # Why a value flagged as implausible is right anyway (domain.md, "Plausibility"); kept in history.
    note = models.CharField("toelichting", max_length=500, blank=True)
    # No index on upload or updated_by: both change with every write of a value, and an indexed column
    # that changes rules out a HOT update (PostgreSQL writes the new row on the same page and no index
    # entry; migration 0007 leaves room for it with the table's fillfactor). The one read by upload,
    # the upload's page, reads within its institution (invoer/upload_views.py); issue 16.
    upload = models.ForeignKey(
        Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        verbose_name="gewijzigd door",
    )
    # History is read per cell (team, indicator), per object (id), by date and writer (the change log):
    # never by college, upload or updated_by, whose indexes every stored value paid for (issue 16).
    history = HistoricalRecords(no_db_index=["college", "upload", "updated_by"])

    class Meta:
        verbose_name = "meting"
        verbose_name_plural = "metingen"
        ordering = ["indicator", "year", "level", "college", "team"]
        indexes = [models.Index(fields=["indicator", "year"], name="measurement_ind_year")]
        constraints = [
            # The unit is exactly one of team (with its college), college, or institution.
            models.CheckConstraint(
                condition=(Q(level=Level.TEAM) & Q(team__isnull=False) & Q(college__isnull=False))
                | (Q(level=Level.COLLEGE) & Q(team__isnull=True) & Q(college__isnull=False))
                | (Q(level=Level.INSTITUTION) & Q(team__isnull=True) & Q(college__isnull=True)),
                name="measurement_unit_shape",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "team"], condition=Q(level=Level.TEAM), name="measurement_team_unique"
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "college"],
                condition=Q(level=Level.COLLEGE),
                name="measurement_college_unique",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year"],
                condition=Q(level=Level.INSTITUTION),
                name="measurement_institution_unique",
            ),
        ]

    def __str__(self):
        unit = self.team or self.college or "instelling"
        return f"{self.indicator.code} {self.year} {unit}: {self.value}"

    def clean(self):
        """Check the one-row rules of kern.rules: the unit's range and the storable decimals."""
        check_value_and_n(self)


OWN_SERIES = ""  # the institution's own figures: the only series that is judged


class ContextValue(models.Model):
    """A value beside the judged one (issue 18): a comparison series or a breakdown group.

    - A comparison series (`series`: "landelijk", "sector", "DUO", a peer institution's code) at
      institution or college level: what the agenda sets the ROC beside ("landelijk is dat 72%").
    - A breakdown (`dimension` and `group`, declared per indicator in the agenda file as
      `breakdowns`) of the own series or of a comparison series, e.g. 2a by vooropleiding.
    The judged value is always a Measurement (own series, no group): nothing here moves a verdict
    or a euro, so these rows live apart and no judging query can pick them up by mistake.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="context_values")
    year = models.PositiveSmallIntegerField("jaar")
    level = models.CharField("niveau", max_length=12, choices=Level.choices)
    college = models.ForeignKey(College, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    series = models.CharField("reeks", max_length=40, blank=True, default=OWN_SERIES)
    dimension = models.CharField("dimensie", max_length=40, blank=True)
    group = models.CharField("groep", max_length=60, blank=True)
    value = ValueField("waarde")
    n = models.PositiveIntegerField("n (noemer)", null=True, blank=True)
    source = models.CharField("bron", max_length=200, blank=True)
    note = models.CharField("toelichting", max_length=500, blank=True)
    upload = models.ForeignKey(Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="gewijzigd door",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "vergelijkings- of uitsplitsingswaarde"
        verbose_name_plural = "vergelijkings- en uitsplitsingswaarden"
        ordering = ["indicator", "series", "dimension", "group", "year", "level", "college"]
        indexes = [models.Index(fields=["indicator", "year"], name="context_ind_year")]
        constraints = [
            # Institution or college level only: no team-level comparison or breakdown (small groups).
            models.CheckConstraint(
                condition=(Q(level=Level.COLLEGE) & Q(college__isnull=False))
                | (Q(level=Level.INSTITUTION) & Q(college__isnull=True)),
                name="context_unit_shape",
            ),
            # A group always has its dimension and the reverse; own series without a group is a Measurement.
            models.CheckConstraint(
                condition=(Q(dimension="") & Q(group="")) | (~Q(dimension="") & ~Q(group="")),
                name="context_group_has_dimension",
            ),
            models.CheckConstraint(condition=~(Q(series="") & Q(group="")), name="context_not_a_measurement"),
            models.UniqueConstraint(
                fields=["indicator", "year", "college", "series", "dimension", "group"],
                condition=Q(level=Level.COLLEGE),
                name="context_college_unique",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "series", "dimension", "group"],
                condition=Q(level=Level.INSTITUTION),
                name="context_institution_unique",
            ),
        ]

    def __str__(self):
        what = " ".join(part for part in (self.series, self.dimension, self.group) if part)
        return f"{self.indicator.code} {self.year} {self.college or 'instelling'} [{what}]: {self.value}"

    def clean(self):
        """Check the one-row rules of kern.rules: the unit's range and the storable decimals."""
        check_value_and_n(self)


class StudentCount(models.Model):
    """Student numbers of a college in a year (benchmark code `studenten`): the budget weights."""

    college = models.ForeignKey(College, on_delete=models.PROTECT, related_name="student_counts")
    year = models.PositiveSmallIntegerField("jaar")
    count = models.PositiveIntegerField("aantal studenten")
    upload = models.ForeignKey(Upload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "studentaantal"
        verbose_name_plural = "studentaantallen"
        ordering = ["college", "year"]
        constraints = [models.UniqueConstraint(fields=["college", "year"], name="student_count_unique")]

    def __str__(self):
        return f"{self.college.code} {self.year}: {self.count}"


class YearSignoff(FSMModelMixin, models.Model):
    """The sign-off of one college's results for one year (college empty: the institution-level values).

    Agenda ch. 4: teams account to the college directorate, colleges to the board. A director
    submits ("ingediend"), policy staff approve for the institution ("vastgesteld"), which
    locks the year; reopening needs a reason and is logged (domain.md, "Sign-off and locking").
    The state moves only through the transitions below (django-fsm-2), called by
    indicatoren.signoff; no code assigns it directly.
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="signoffs", verbose_name="instelling"
    )
    college = models.ForeignKey(College, null=True, blank=True, on_delete=models.CASCADE, related_name="signoffs")
    year = models.PositiveSmallIntegerField("jaar")
    state = FSMField("status", default=SignoffState.OPEN, choices=SignoffState.choices, protected=True)
    changed_at = models.DateTimeField("gewijzigd op", auto_now=True)
    # PROTECT, as SignoffEvent.user: the lock message names who approved ("vastgesteld op ... door ...").
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="gewijzigd door",
    )

    class Meta:
        verbose_name = "vaststelling"
        verbose_name_plural = "vaststellingen"
        ordering = ["institution", "year", "college"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "college", "year"],
                condition=Q(college__isnull=False),
                name="signoff_college_year_unique",
            ),
            models.UniqueConstraint(
                fields=["institution", "year"],
                condition=Q(college__isnull=True),
                name="signoff_institution_year_unique",
            ),
        ]

    def __str__(self):
        unit = f"college {self.college.code}" if self.college_id else "instellingsniveau"
        return f"{unit} {self.year}: {self.get_state_display()}"

    @transition(field=state, source=SignoffState.OPEN, target=SignoffState.SUBMITTED)
    def submit(self):
        """Submit the year's results for approval (a director, or policy staff)."""

    @transition(field=state, source=SignoffState.SUBMITTED, target=SignoffState.OPEN)
    def withdraw(self):
        """Take a submission back to correct it further."""

    @transition(field=state, source=[SignoffState.OPEN, SignoffState.SUBMITTED], target=SignoffState.APPROVED)
    def approve(self):
        """Approve the year for the institution: its values are locked from now on."""

    @transition(field=state, source=SignoffState.APPROVED, target=SignoffState.OPEN)
    def reopen(self):
        """Reopen an approved year (policy staff, with a reason that is logged)."""


class SignoffEvent(models.Model):
    """One step of a sign-off: who, when, what and why; never changed or deleted (the audit trail)."""

    signoff = models.ForeignKey(
        YearSignoff, on_delete=models.CASCADE, related_name="events", verbose_name="vaststelling"
    )
    action = models.CharField("handeling", max_length=20)  # submit | withdraw | approve | reopen
    from_state = models.CharField("van", max_length=12, choices=SignoffState.choices)
    to_state = models.CharField("naar", max_length=12, choices=SignoffState.choices)
    # PROTECT: deleting the account that approved or reopened a year erased who did it from the trail
    # (domain.md, "Sign-off and locking": the reopen is logged). Such an account is deactivated instead.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name="door"
    )
    at = models.DateTimeField("op", auto_now_add=True)
    reason = models.TextField("reden", blank=True)

    class Meta:
        verbose_name = "vaststellingsstap"
        verbose_name_plural = "vaststellingsstappen"
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.signoff}: {self.action} ({self.at:%Y-%m-%d %H:%M})"
