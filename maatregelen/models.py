"""What colleges do and what it shows: measures, noticeable evidence and Q-reviews."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from agenda.models import College, ConstraintErrorsOnFields, Indicator, Institution, Team, Theme, field_error
from maatregelen.choices import (  # older code imports the first three from here
    ActionStatus,
    CheckInStatus,
    EvidenceKind,
    MeasureCategory,
    MeasureStatus,
    PromiseOrigin,
    ReviewLevel,
    TargetGroup,
)


class Measure(models.Model):
    """A measure (maatregel): a programme or support action of a theme, ROC-wide or per college."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="measures", verbose_name="instelling"
    )
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
    # Horizontal accountability (issue 14, item 4): only what the school marks public reaches partners.
    public = models.BooleanField("openbaar voor partners", default=False)
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

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="evidence", verbose_name="instelling"
    )
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="evidence", verbose_name="thema")
    college = models.ForeignKey(
        College, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence", verbose_name="college"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence", verbose_name="team"
    )
    # Evidence usually shows one ambition moving (issue 15): the indicator, when given, is of the theme.
    indicator = models.ForeignKey(
        Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence", verbose_name="indicator"
    )
    year = models.PositiveSmallIntegerField("jaar")
    kind = models.CharField("soort", max_length=12, choices=EvidenceKind.choices)
    title = models.CharField("titel", max_length=200)
    text = models.TextField("tekst", blank=True)
    link = models.URLField("link", blank=True)
    # Shown on /verantwoording/ to partners only when marked (issue 14, item 4); never its team or college.
    public = models.BooleanField("openbaar voor partners", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="aangemaakt door"
    )
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
        if self.indicator_id and self.theme_id and self.indicator.theme_id != self.theme_id:
            raise ValidationError({"indicator": "De indicator hoort niet bij dit thema."})


class Review(ConstraintErrorsOnFields, models.Model):
    """A Q-review (Q-gesprek) of a team, a college or the institution in one quadrimester.

    The agenda holds them three times a year on three levels; agreed actions are ActionItems that
    the next conversation of the same unit follows up, and CheckIns say per ambition how it goes.
    A team-level review also names the team's college, so a college sees its teams' reviews.
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="reviews", verbose_name="instelling"
    )
    level = models.CharField("niveau", max_length=10, choices=ReviewLevel.choices, default=ReviewLevel.COLLEGE)
    college = models.ForeignKey(
        College, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews", verbose_name="college"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews", verbose_name="team"
    )
    year = models.PositiveSmallIntegerField("jaar")
    quadrimester = models.PositiveSmallIntegerField("quadrimester", choices=[(1, "Q1"), (2, "Q2"), (3, "Q3")])
    held_on = models.DateField("datum", null=True, blank=True)
    notes = models.TextField("verslag", blank=True)
    # Free-text agreements from before action items existed (migration 0002 turned stored ones into
    # ActionItems); kept so older writers (the demo, old API clients) lose nothing.
    actions = models.TextField("afspraken (vrije tekst)", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="aangemaakt door"
    )
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "Q-gesprek"
        verbose_name_plural = "Q-gesprekken"
        ordering = ["-year", "-quadrimester", "level", "college__code", "team__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["college", "year", "quadrimester"],
                condition=Q(level="college"),
                name="review_unique",
                **field_error("quadrimester", "Dit college heeft in dit quadrimester al een Q-gesprek."),
            ),
            models.UniqueConstraint(
                fields=["team", "year", "quadrimester"],
                condition=Q(level="team"),
                name="review_team_unique",
                **field_error("quadrimester", "Dit team heeft in dit quadrimester al een Q-gesprek."),
            ),
            models.UniqueConstraint(
                fields=["institution", "year", "quadrimester"],
                condition=Q(level="instelling"),
                name="review_institution_unique",
                **field_error("quadrimester", "De instelling heeft in dit quadrimester al een Q-gesprek."),
            ),
            # The level says which unit: a team (and its college), a college, or the institution only.
            models.CheckConstraint(
                condition=(
                    Q(level="team", team__isnull=False, college__isnull=False)
                    | Q(level="college", team__isnull=True, college__isnull=False)
                    | Q(level="instelling", team__isnull=True, college__isnull=True)
                ),
                name="review_level_unit",
                **field_error("level", "Een Q-gesprek gaat over een team, een college of de instelling."),
            ),
        ]

    def __str__(self):
        return f"{self.unit_label} {self.year} Q{self.quadrimester}"

    def save(self, *args, **kwargs):
        """Save; a team's or college's review is always of that college's institution (older callers name only the college)."""
        if self.college_id and not self.institution_id:
            self.institution_id = College.objects.values_list("institution_id", flat=True).get(pk=self.college_id)
        super().save(*args, **kwargs)

    def clean(self):
        """Refuse a review whose college is of another institution than the review."""
        if self.college_id and self.institution_id and self.college.institution_id != self.institution_id:
            raise ValidationError({"college": "Het college hoort niet bij deze instelling."})
        # A conversation of year Y is held in Y (or just around it): a slip such as 0001-01-01 would
        # also become the start of the board's "Wat is er veranderd" (the last Q-gesprek held).
        if self.held_on is not None and self.year and abs(self.held_on.year - self.year) > 1:
            raise ValidationError(
                {"held_on": f"De datum van een Q-gesprek over {self.year} ligt in {self.year} of vlak ervoor of erna."}
            )

    @property
    def unit_label(self) -> str:
        """Return the unit in words: 'team 5100-ENT', 'college 5100' or 'instelling ROCVAF'."""
        if self.level == ReviewLevel.TEAM:
            return f"team {self.team.code}"
        if self.level == ReviewLevel.COLLEGE:
            return f"college {self.college.code}"
        return "instelling"

    @property
    def period_key(self) -> tuple[int, int]:
        """Return (year, quadrimester): the order of conversations of one unit."""
        return (self.year, self.quadrimester)

    def same_unit(self):
        """Return the reviews of the same team, college or institution (this one included)."""
        return Review.objects.filter(
            institution_id=self.institution_id, level=self.level, college_id=self.college_id, team_id=self.team_id
        )


class ActionItem(models.Model):
    """An action agreed in a Q-gesprek (actiepunt): who does what by when, followed up next time."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="action_items", verbose_name="Q-gesprek")
    description = models.TextField("afspraak")
    owner = models.CharField("eigenaar", max_length=200, blank=True)
    due_on = models.DateField("gereed op", null=True, blank=True)
    status = models.CharField("status", max_length=14, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    indicator = models.ForeignKey(
        Indicator,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="action_items",
        verbose_name="indicator",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="aangemaakt door"
    )
    created_at = models.DateTimeField("vastgelegd op", auto_now_add=True)
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "actiepunt"
        verbose_name_plural = "actiepunten"
        ordering = ["review", "due_on", "pk"]

    def __str__(self):
        return self.description[:60]


class ActionFollowUp(ConstraintErrorsOnFields, models.Model):
    """What a later Q-gesprek of the same unit says about an earlier action: its new status and a note."""

    action = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="follow_ups", verbose_name="actiepunt"
    )
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="follow_ups", verbose_name="Q-gesprek")
    status = models.CharField("status", max_length=14, choices=ActionStatus.choices)
    note = models.TextField("toelichting", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="aangemaakt door"
    )
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "opvolging van een actiepunt"
        verbose_name_plural = "opvolgingen van actiepunten"
        ordering = ["review__year", "review__quadrimester", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "review"],
                name="followup_unique",
                **field_error("status", "Dit actiepunt is in dit Q-gesprek al opgevolgd."),
            )
        ]

    def __str__(self):
        return f"{self.action} ({self.get_status_display()})"


class CheckIn(ConstraintErrorsOnFields, models.Model):
    """How an ambition (indicator of the agenda) is doing, as judged in a Q-gesprek, with a note."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="check_ins", verbose_name="Q-gesprek")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="check_ins", verbose_name="indicator"
    )
    status = models.CharField("koers", max_length=10, choices=CheckInStatus.choices)
    note = models.TextField("toelichting", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="aangemaakt door"
    )
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "check-in"
        verbose_name_plural = "check-ins"
        ordering = ["review", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "indicator"],
                name="checkin_unique",
                **field_error("indicator", "Deze indicator heeft in dit Q-gesprek al een check-in."),
            )
        ]

    def __str__(self):
        return f"{self.indicator.code}: {self.get_status_display()}"


class Spending(ConstraintErrorsOnFields, models.Model):
    """Money actually spent (gerealiseerd) in a year on a theme, per college or ROC-wide, optionally per measure.

    Agenda ch. 12: "we laten zien hoe het geld per thema wordt ingezet". One row per (year,
    theme, college, measure): a re-upload replaces the amount instead of adding to it. Amounts
    are never negative: a correction changes the row (its history keeps the old amount).
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="spendings", verbose_name="instelling"
    )
    year = models.PositiveSmallIntegerField("jaar")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="spendings", verbose_name="thema")
    college = models.ForeignKey(
        College,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spendings",
        verbose_name="college",
        help_text="leeg: ROC-breed",
    )
    measure = models.ForeignKey(
        Measure,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spendings",
        verbose_name="maatregel",
        help_text="leeg: niet aan één maatregel toe te wijzen",
    )
    # Spending may exceed what was planned or allocated: that is reported as "overschreden", not refused.
    amount_cents = models.BigIntegerField("gerealiseerd (eurocent)")
    note = models.TextField("toelichting", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="vastgelegd door"
    )
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "besteding"
        verbose_name_plural = "bestedingen"
        ordering = ["-year", "theme__position", "college__code", "measure__title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0),
                name="spending_amount_nonneg",
                **field_error("amount_cents", "Een besteding is nul of groter; corrigeer een te hoog bedrag."),
            ),
            # Four partial uniques: NULL college (ROC-wide) and NULL measure must collide too.
            models.UniqueConstraint(
                fields=["year", "theme", "college", "measure"],
                condition=Q(college__isnull=False, measure__isnull=False),
                name="spending_unique",
                **field_error("measure", "Voor deze maatregel is in dit jaar al een besteding vastgelegd."),
            ),
            models.UniqueConstraint(
                fields=["year", "theme", "measure"],
                condition=Q(college__isnull=True, measure__isnull=False),
                name="spending_unique_roc_measure",
                **field_error("measure", "Voor deze maatregel is in dit jaar al een besteding vastgelegd."),
            ),
            models.UniqueConstraint(
                fields=["year", "theme", "college"],
                condition=Q(college__isnull=False, measure__isnull=True),
                name="spending_unique_college",
                **field_error("college", "Voor dit thema en college is in dit jaar al een besteding vastgelegd."),
            ),
            models.UniqueConstraint(
                fields=["year", "theme"],
                condition=Q(college__isnull=True, measure__isnull=True),
                name="spending_unique_roc",
                **field_error("theme", "Voor dit thema is in dit jaar al een ROC-brede besteding vastgelegd."),
            ),
        ]

    def __str__(self):
        unit = self.college.code if self.college_id else "ROC-breed"
        return f"{self.year} {self.theme.code} {unit}: {self.amount_cents} ct"

    def clean(self):
        """Refuse a college, theme or measure of another institution, and a measure of another theme or college."""
        if self.theme_id and self.theme.institution_id != self.institution_id:
            raise ValidationError({"theme": "Het thema hoort niet bij deze instelling."})
        if self.college_id and self.college.institution_id != self.institution_id:
            raise ValidationError({"college": "Het college hoort niet bij deze instelling."})
        if self.measure_id:
            measure = self.measure
            if measure.theme_id != self.theme_id:
                raise ValidationError({"measure": f"De maatregel '{measure.title}' hoort niet bij dit thema."})
            if measure.college_id and measure.college_id != self.college_id:
                raise ValidationError(
                    {"measure": f"De maatregel '{measure.title}' hoort bij college {measure.college.code}."}
                )


class Promise(models.Model):
    """A promise (belofte) of the manifesto's model for a theme: partners, target groups, effect, budget, account.

    Manifesto ("Het mbo als regionale partner"): from the own strategy and external developments,
    made with partners, for target groups, with an intended effect inside and outside the school,
    a budget and a way of giving account. A theme may hold several promises.
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="promises", verbose_name="instelling"
    )
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="promises", verbose_name="thema")
    title = models.CharField("belofte (kort)", max_length=200)
    promise = models.TextField("belofte")
    origin = models.CharField("herkomst", max_length=16, choices=PromiseOrigin.choices, default=PromiseOrigin.BOTH)
    # A list of TargetGroup values; JSON because SQLite has no array type.
    target_groups = models.JSONField("doelgroepen", default=list, blank=True)
    own_target_groups = models.CharField(
        "eigen doelgroepen", max_length=300, blank=True, help_text="de doelgroepen van de agenda zelf, vrije tekst"
    )
    effect_inside = models.TextField("beoogd effect binnen de school", blank=True)
    effect_outside = models.TextField("beoogd effect buiten de school", blank=True)
    budget_cents = models.BigIntegerField("budget (eurocent)", default=0)
    accountability = models.TextField(
        "verantwoording", blank=True, help_text="hoe en aan wie verantwoording wordt afgelegd"
    )
    regional_spearhead = models.BooleanField(
        "eigen of regionaal speerpunt",
        default=False,
        help_text="telt mee voor het manifest: minstens 80 % naar eigen of regionale speerpunten",
    )
    position = models.PositiveSmallIntegerField("volgorde", default=0)
    updated_at = models.DateTimeField("gewijzigd op", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "belofte"
        verbose_name_plural = "beloftes"
        ordering = ["theme__position", "position", "title", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(budget_cents__gte=0), name="promise_budget_nonneg"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        """Refuse a theme of another institution and an unknown target group."""
        if self.theme_id and self.theme.institution_id != self.institution_id:
            raise ValidationError({"theme": "Het thema hoort niet bij deze instelling."})
        groups = self.target_groups
        if not isinstance(groups, list) or any(group not in TargetGroup.values for group in groups):
            raise ValidationError({"target_groups": "Kies uit starters, herstarters en doorstarters."})

    @property
    def target_group_labels(self) -> list[str]:
        """Return the target groups in words, the manifesto's first and then the agenda's own."""
        labels = [TargetGroup(group).label for group in TargetGroup.values if group in self.target_groups]
        if self.own_target_groups:
            labels.append(self.own_target_groups)
        return labels


class PartnerAgreement(models.Model):
    """What was agreed with a partner for a promise, and when (samenwerken, with or without a regional deal)."""

    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="partners", verbose_name="belofte")
    partner = models.CharField("partner", max_length=200)
    agreement = models.TextField("afspraak", blank=True)
    agreed_on = models.DateField("datum", null=True, blank=True)
    regional_deal = models.BooleanField("regiodeal", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "partnerafspraak"
        verbose_name_plural = "partnerafspraken"
        ordering = ["promise", "agreed_on", "partner", "pk"]

    def __str__(self):
        return self.partner
