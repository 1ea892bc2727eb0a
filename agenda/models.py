"""The agenda itself: institution, colleges, teams, themes, indicators, ambitions, budget.

Every row belongs to exactly one institution so that many institutions live side by side in
one database (domain.md, "Hierarchy and data"); codes are unique within an institution.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from agenda.choices import AmbitionType, Effect, Level, Polarity, Role, Unit
from agenda.schema import RESULT_DEPENDENT_MAX_PCT, choice_label
from kern.codes import validate_college_code, validate_team_code
from kern.fields import ValueField
from kern.rules import CODE_MAX_LENGTH, UNIT_RANGES, dutch, value_problem
from kern.signals import refuse_if_approved

PCT_DIGITS = {"max_digits": 5, "decimal_places": 2}

# A constraint's message goes beside the field it is about: Django's own words name the
# constraint ("Beperking 'team_active_range' is geschonden") or the model's field names
# ("Institution en Code"), raw database text no user should see (issue 15, item 7).
ON_FIELD = "on_field:"


def field_error(field: str, message: str) -> dict:
    """Return a constraint's Dutch message and a code naming the field it belongs beside."""
    return {"violation_error_code": f"{ON_FIELD}{field}", "violation_error_message": message}


def unit_value_problem(unit: str, value) -> str | None:
    """Return why `value` may not be a value of an indicator of `unit` (kern.rules.value_problem), or None.

    A baseline and a target are values of the indicator's unit, as a measurement is: the agenda
    loader checks them against the same ranges (agenda.schema, UNIT_RANGES). None when there is
    no value, or no valid unit yet to check it against (the field's own error says why).
    """
    if not isinstance(value, Decimal) or unit not in UNIT_RANGES:
        return None
    return value_problem(unit, value)


class ConstraintErrorsOnFields:
    """Move constraint errors from the form's top to their field (Django puts all but one-field uniques on top)."""

    def validate_constraints(self, exclude=None):
        """Validate the constraints; raise their errors keyed by the field each code names."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            moved: dict[str, list] = {}
            for field, errors in exc.error_dict.items():
                for error in errors:
                    code = error.code or ""
                    target = code.removeprefix(ON_FIELD) if code.startswith(ON_FIELD) else field
                    moved.setdefault(target, []).append(error)
            raise ValidationError(moved) from exc


class Institution(ConstraintErrorsOnFields, models.Model):
    """An institution (instelling); ROCvA + ROCvF together count as one."""

    code = models.CharField("code", max_length=20, unique=True)
    name = models.CharField("naam", max_length=200)
    period_start = models.PositiveSmallIntegerField("eerste jaar", default=2019)
    period_end = models.PositiveSmallIntegerField("laatste jaar", default=2022)
    synthetic_data = models.BooleanField(
        "synthetische gegevens", default=False, help_text="demogegevens: overal als synthetisch gelabeld"
    )

    class Meta:
        verbose_name = "instelling"
        verbose_name_plural = "instellingen"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="institution_period_order",
                **field_error("period_end", "Het laatste jaar van de periode ligt vóór het eerste jaar."),
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def years(self) -> range:
        """Return the agenda period as a range of years."""
        return range(self.period_start, self.period_end + 1)

    def years_from(self, from_year: int | None) -> list[int]:
        """Return the period's years from `from_year` on (None: from the start): what a revision from it reaches."""
        return [year for year in self.years if from_year is None or year >= from_year]

    def clean(self):
        """Refuse a period that would leave a stored budget year outside it (BudgetYear.clean, the other side).

        A budget year outside the period would still be split and enter the reserve ledger, whose
        last year is the period's (domain.md: budget rows outside the period are refused). A period
        that changes an approved year is refused too (refuse_period_in_locked_years).
        """
        super().clean()
        if self.pk is None or self.period_start is None or self.period_end is None:
            return
        outside = sorted(
            self.budget_years.exclude(year__range=(self.period_start, self.period_end)).values_list("year", flat=True)
        )
        if outside:
            years = ", ".join(str(year) for year in outside)
            raise ValidationError(
                {
                    "period_end" if outside[-1] > self.period_end else "period_start": (
                        f"Er is een budget vastgelegd voor {years}, buiten de periode "
                        f"{self.period_start}-{self.period_end}. Kies een periode die het omvat, of verwijder dat "
                        "budgetjaar eerst."
                    )
                }
            )
        self.refuse_period_in_locked_years(self.period_start, self.period_end, on_field=True)

    def refuse_period_in_locked_years(self, start: int, end: int, *, on_field: bool = False) -> None:
        """Refuse changing the stored period to start-end while a year it changes is approved.

        A year that leaves the period is no longer judged, and the period's last year reports the
        reserve still open as niet gerealiseerd (domain.md, "The reserve", step 4): another last
        year changes that of the earlier of the two ends. Approved years change only after policy
        staff reopen them (domain.md, "Sign-off and locking"). `on_field`: the error goes beside the
        year that changed (a form), else it is plain (the loader names the file's path).
        """
        stored = Institution.objects.filter(pk=self.pk).values_list("period_start", "period_end").first()
        if stored is None or stored == (start, end):
            return
        reached = {year for year in range(stored[0], stored[1] + 1) if not start <= year <= end}
        if end != stored[1]:
            reached.add(min(end, stored[1]))
        what = f"De periode {start}-{end} (was {stored[0]}-{stored[1]}) verandert de oordelen en het budget"
        try:
            refuse_if_approved(institution=self, units=every_unit(self, sorted(reached)), what=what)
        except ValidationError as exc:
            if not on_field:
                raise
            field = "period_start" if end == stored[1] else "period_end"
            raise ValidationError({field: exc.messages}) from exc


def every_unit(institution: Institution, years, college_ids=None) -> list[tuple[int | None, int]]:
    """Return (college id or None for the institution level, year) for every college of the institution in `years`.

    A change of what an indicator is judged against, of a theme's share or of a budget row moves
    the verdicts or cents of every college and of the institution in its years (domain.md, the
    two-thirds rule and the budget). `college_ids`: the institution's colleges, when read already.
    """
    if college_ids is None:
        college_ids = College.objects.filter(institution=institution).values_list("pk", flat=True)
    colleges = [None, *college_ids]
    return [(college, year) for year in years for college in colleges]


# --- Approved years: which years a change of an agenda row reaches (domain.md, "Sign-off and locking") ---
#
# Approved years change only after policy staff reopen them, on every channel. One function per row
# says which years a change of its fields moves; the admin's forms ask it in the model's clean()
# (comparing with the stored row) and the agenda file's loader (agenda.services._load_reaches) asks
# the same function with the file's values, so the two never disagree about what is locked.


@dataclass(frozen=True)
class Reach:
    """A change of a row that moves verdicts or cents in `years`, for every college and the institution level.

    `field`: the form field the refusal stands beside ("" none: a delete); `key`: where the agenda
    file sets it, relative to the row ("" the row itself); `what`: the change in Dutch, which the
    approval's text completes ("... in 2020, maar het jaar 2020 is voor ... vastgesteld op ...").
    """

    field: str
    key: str
    years: tuple[int, ...]
    what: str


def refuse_reaches(institution: Institution, reaches) -> None:
    """Raise ValidationError beside each reach's field when it moves an approved year; else return.

    The approvals are asked once for all reaches; only when that meets one is each reach asked on
    its own, so a refusal names its own change and year (kern.signals.refuse_if_approved, whose
    listener is indicatoren.signoff). Years outside the period are never judged and are dropped.
    """
    reaches = [replace(r, years=tuple(y for y in r.years if y in institution.years)) for r in reaches]
    reaches = [reach for reach in reaches if reach.years]
    if not reaches:
        return
    college_ids = list(College.objects.filter(institution=institution).values_list("pk", flat=True))
    if len(reaches) > 1:
        try:
            units = {unit for reach in reaches for unit in every_unit(institution, reach.years, college_ids)}
            refuse_if_approved(institution=institution, units=units, what="De wijziging verandert de oordelen")
            return
        except ValidationError:
            pass
    errors: dict[str, list[str]] = {}
    for reach in reaches:
        try:
            refuse_if_approved(
                institution=institution, units=every_unit(institution, reach.years, college_ids), what=reach.what
            )
        except ValidationError as exc:
            errors.setdefault(reach.field or NON_FIELD_ERRORS, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)


def refuse_move_between_institutions(stored_institution_id: int, row, what: str) -> None:
    """Refuse moving a row to another institution while a year of either is approved.

    The row (and what hangs on it) leaves every year of the one and enters every year of the other.
    """
    for institution in (Institution.objects.get(pk=stored_institution_id), row.institution):
        refuse_reaches(institution, [Reach("institution", "", tuple(institution.years), what)])


def _first_changed(before: tuple, after: tuple) -> str:
    """Return the name of the first field of two terms (NamedTuples of one kind) that differs."""
    return next(name for name in before._fields if getattr(before, name) != getattr(after, name))


def _add_errors(errors: dict, exc: ValidationError) -> None:
    """Add the messages of `exc` (per field) to a clean()'s errors, whose values are a message or a list."""
    for field, messages in exc.message_dict.items():
        known = errors.get(field, [])
        errors[field] = [*([known] if isinstance(known, str) else known), *messages]


class IndicatorTerms(NamedTuple):
    """What of an indicator its verdicts are judged on: its theme (code), polarity, levels and baseline.

    `composite`: whether its values come from components (issue 18); compared only when the
    indicator comes or goes, the definition itself is compared by the loader (the admin shows it only).
    """

    theme: str
    polarity: str
    institution_only: bool
    baseline: tuple
    composite: bool = False


def indicator_reaches(
    institution: Institution, code: str, before: IndicatorTerms | None, after: IndicatorTerms | None
) -> list[Reach]:
    """Return what a change of an indicator's terms moves (None: the indicator is new, or goes).

    Each moves its verdicts in every year of the period, and with them the budget's K of its theme
    (domain.md, the two-thirds rule and the budget). A new indicator has no values yet and moves
    nothing, nor does one without values going (its values are protected from a delete), unless it
    is a composite, whose values come from its components.
    """
    years = tuple(institution.years)
    if before is None or after is None:
        if not (after or before).composite:
            return []
        if before is None:
            return [Reach("", "composite", years, f"De samengestelde indicator {code} krijgt oordelen")]
        return [Reach("", "composite", years, f"Zonder de samengestelde indicator {code} veranderen de oordelen")]
    reaches = []
    if before.theme != after.theme:
        what = f"Indicator {code} naar thema {after.theme} (was {before.theme}) verandert het budget"
        reaches.append(Reach("theme", "", years, what))
    if before.polarity != after.polarity:
        reaches.append(Reach("polarity", "polarity", years, f"De richting van {code} verandert de oordelen"))
    if before.institution_only != after.institution_only:
        what = f"Alleen op instellingsniveau meten of niet verandert de oordelen van {code}"
        reaches.append(Reach("levels", "levels", years, what))
    if before.baseline != after.baseline:
        field = "baseline_year" if before.baseline[0] != after.baseline[0] else "baseline_value"
        reaches.append(Reach(field, "baseline", years, f"De nulmeting van {code} verandert de oordelen"))
    return reaches


class ThemeTerms(NamedTuple):
    """What of a theme moves cents: its budget share, and whether it is national (the budget overview, ch. 12)."""

    budget_share_pct: Decimal
    national: bool


def theme_reaches(
    institution: Institution,
    code: str,
    before: ThemeTerms | None,
    after: ThemeTerms | None,
    budget_years=None,
) -> list[Reach]:
    """Return what a change of a theme's share or `national` moves (None: the theme is new, or goes).

    The share splits every year's budget (its revisions from a year on are asked by the
    herijking); which themes are national shows in the budget overview of each year with a budget
    row (`budget_years`, read when not given). A theme that comes or goes moves a cent only with
    a share above 0.
    """
    if before is None:
        before = ThemeTerms(Decimal(0), after.national)
    if after is None:
        after = ThemeTerms(Decimal(0), before.national)
    reaches = []
    if before.budget_share_pct != after.budget_share_pct:
        what = f"Het budgetaandeel van {code} verandert het budget"
        reaches.append(Reach("budget_share_pct", "budget_share_pct", tuple(institution.years), what))
    if before.national != after.national:
        if budget_years is None:
            budget_years = institution.budget_years.values_list("year", flat=True)
        what = f"Of {code} een landelijk thema is, verandert het budgetoverzicht (agenda h. 12)"
        reaches.append(Reach("national", "national", tuple(sorted(budget_years)), what))
    return reaches


class BudgetTerms(NamedTuple):
    """What of a budget row is split (agenda ch. 12): its year, total and percentages."""

    year: int
    total_cents: int
    result_dependent_pct: Decimal
    central_pct: Decimal


def budget_year_reaches(institution: Institution, before: BudgetTerms | None, after: BudgetTerms | None) -> list[Reach]:
    """Return what a budget row that changes, comes or goes moves: its year and every later one.

    Year Y's split changes, and with it the reserve Y releases in later years (domain.md, "The
    reserve"), as a herijking from Y reaches Y and after. A row moved to another year reaches
    from the earlier of the two.
    """
    if before == after:
        return []
    terms = after or before
    if before is None or after is None:
        field = "year" if after is not None else ""  # a new row reaches by its year
        what = f"{'Het' if after is not None else 'Zonder het'} budget van {terms.year} verandert de verdeling"
        return [Reach(field, "", tuple(institution.years_from(terms.year)), what)]
    what = f"Het budget van {after.year} verandert de verdeling"
    if before.year != after.year:
        what = f"Het budget van {after.year} (was {before.year}) verandert de verdeling"
    start = min(before.year, after.year)
    return [Reach(_first_changed(before, after), "", tuple(institution.years_from(start)), what)]


class FundTerms(NamedTuple):
    """What of another additional fund shows in a year's budget overview (agenda ch. 12).

    `theme`: the theme's code in the file, its id in the database (compared with its own kind).
    """

    amount_cents: int
    year: int | None
    source: str
    theme: object


def fund_reaches(institution: Institution, before: FundTerms | None, after: FundTerms | None) -> list[Reach]:
    """Return what another fund that changes, comes or goes moves: its year's budget overview (no year: every year).

    A changed note moves no cent and is not compared.
    """
    if before == after:
        return []
    years = set()
    for terms in (before, after):
        if terms is not None:
            years |= set(institution.years) if terms.year is None else {terms.year}
    if after is None:
        what = f"Zonder het bedrag uit ‘{before.source}’ ({before.year or 'elk jaar'}) verandert het budgetoverzicht"
        return [Reach("", "", tuple(sorted(years)), what)]
    field = "year" if before is None else _first_changed(before, after)  # a new fund reaches by its year
    return [Reach(field, "", tuple(sorted(years)), f"Het bedrag uit ‘{after.source}’ verandert het budgetoverzicht")]


class College(ConstraintErrorsOnFields, models.Model):
    """An mbo-college with its own director; inactive colleges are left out of verdicts."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="colleges", verbose_name="instelling"
    )
    # Letters, digits, '-', '_', '.' (kern.rules.code_problem): the code is part of page addresses.
    code = models.CharField("code", max_length=CODE_MAX_LENGTH["Collegecode"], validators=[validate_college_code])
    name = models.CharField("naam", max_length=200)
    active = models.BooleanField("actief", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "mbo-college"
        verbose_name_plural = "mbo-colleges"
        ordering = ["institution", "code"]
        constraints = [
            # Unique ignoring case: an upload matches codes ignoring case (contracts.md section 2,
            # indicatoren.importers), so 'A100' and 'a100' would be one college to it.
            models.UniqueConstraint(
                Lower("code"),
                "institution",
                name="college_code_unique",
                **field_error(
                    "code",
                    "Deze collegecode is al in gebruik binnen de instelling (hoofdletters tellen niet mee); "
                    "kies een andere.",
                ),
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        super().clean()
        self._refuse_counting_in_locked_years()

    def _refuse_counting_in_locked_years(self) -> None:
        """Refuse switching the college on or off, or adding it switched on, while a year that changes is approved.

        An inactive college's data are kept and never counted; an active one counts in the two-thirds
        denominator of every year, with data or without (domain.md, the two-thirds rule step 4 and
        "Points ... now decided"): `active` moves its own and the institution's verdicts in every
        year. A budget year is split over the active colleges pro rata (domain.md, budget), so in a
        year with a budget row every college's cents move too. Approved years change only after
        policy staff reopen them (domain.md, "Sign-off and locking"). A college added switched off
        counts nowhere, as before.
        """
        if not self.institution_id:
            return
        before = College.objects.filter(pk=self.pk).values_list("active", flat=True).first() if self.pk else None
        if bool(before) == bool(self.active):
            return
        years = list(self.institution.years)
        budget_years = set(self.institution.budget_years.values_list("year", flat=True))
        others = College.objects.filter(institution_id=self.institution_id).exclude(pk=self.pk)
        others = list(others.values_list("pk", flat=True))
        units = [(self.pk, year) for year in years if self.pk] + [(None, year) for year in years]
        units += [(college, year) for year in years if year in budget_years for college in others]
        if before is None:
            what = f"Het nieuwe actieve college {self.code} telt mee in de oordelen en het budget"
        else:
            switch = "aanzetten" if self.active else "uitzetten"
            what = f"College {self.code} {switch} verandert de oordelen en het budget"
        try:
            refuse_if_approved(institution=self.institution, units=units, what=what)
        except ValidationError as exc:
            raise ValidationError({"active": exc.messages}) from exc


class Team(ConstraintErrorsOnFields, models.Model):
    """An education team inside a college; teams come and go, so activity is a year range."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="teams", verbose_name="instelling"
    )
    college = models.ForeignKey(College, on_delete=models.PROTECT, related_name="teams")
    code = models.CharField("code", max_length=CODE_MAX_LENGTH["Teamcode"], validators=[validate_team_code])
    name = models.CharField("naam", max_length=200)
    active_from = models.PositiveSmallIntegerField("actief vanaf (jaar)", null=True, blank=True)
    active_until = models.PositiveSmallIntegerField("actief tot en met (jaar)", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "onderwijsteam"
        verbose_name_plural = "onderwijsteams"
        ordering = ["college__code", "code"]
        constraints = [
            # contracts.md section 2: a team code is unique within the institution, ignoring case as
            # the upload matches it: with 'A100-X' and 'a100-x' a file's value went to the other team.
            models.UniqueConstraint(
                Lower("code"),
                "institution",
                name="team_code_unique",
                **field_error(
                    "code",
                    "Deze teamcode is al in gebruik binnen de instelling (hoofdletters tellen niet mee); "
                    "kies een andere.",
                ),
            ),
            models.CheckConstraint(
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                name="team_active_range",
                **field_error("active_until", "Het laatste actieve jaar ligt vóór het jaar waarin het team begon."),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        if self.college_id and self.institution_id and self.college.institution_id != self.institution_id:
            raise ValidationError({"college": "Het college hoort niet bij deze instelling."})
        self._refuse_counting_in_locked_years()

    def _refuse_counting_in_locked_years(self) -> None:
        """Refuse new active years that would add or drop this team's values in an approved year.

        A team counts in Y only when active then (domain.md, "Teams change over time"), so ending
        it in 2019 took its 2020 values out of a college verdict the board had as vastgesteld
        (domain.md, "Sign-off and locking": approved years change only after policy staff reopen
        them). Years in which the team has no value count it either way and stay free.
        """
        if self.pk is None or not self.college_id:
            return
        stored = Team.objects.filter(pk=self.pk).values_list("active_from", "active_until").first()
        if stored is None or stored == (self.active_from, self.active_until):
            return
        before = Team(active_from=stored[0], active_until=stored[1])
        moved = [year for year in self.institution.years if before.is_active(year) != self.is_active(year)]
        if not moved:
            return
        with_values = sorted(set(self.measurements.filter(year__in=moved).values_list("year", flat=True)))
        field = "active_until" if stored[1] != self.active_until else "active_from"
        try:
            refuse_if_approved(
                institution=self.institution,
                # The college's aggregate feeds the institution's baseline and aggregate (domain.md, step 1).
                units=[(unit, year) for year in with_values for unit in (self.college_id, None)],
                what=f"Met deze actieve jaren telt team {self.code} anders mee",
            )
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from exc

    def is_active(self, year: int) -> bool:
        """Return whether the team exists in `year`."""
        return (self.active_from is None or self.active_from <= year) and (
            self.active_until is None or year <= self.active_until
        )


class Theme(ConstraintErrorsOnFields, models.Model):
    """One of the agenda's themes with its ambition text and its share of the budget."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="themes", verbose_name="instelling"
    )
    code = models.CharField("code", max_length=20)
    name = models.CharField("naam", max_length=200)
    national = models.BooleanField("landelijk thema", default=False)
    budget_share_pct = models.DecimalField("aandeel budget (%)", default=0, **PCT_DIGITS)
    ambition = models.TextField("ambitie", blank=True)
    position = models.PositiveSmallIntegerField("volgorde", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "thema"
        verbose_name_plural = "thema's"
        ordering = ["institution", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "code"],
                name="theme_code_unique",
                **field_error("code", "Deze themacode is al in gebruik binnen de instelling."),
            ),
            models.CheckConstraint(
                condition=Q(budget_share_pct__gte=0) & Q(budget_share_pct__lte=100),
                name="theme_share_range",
                **field_error("budget_share_pct", "Het budgetaandeel ligt tussen 0 en 100 procent."),
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def terms(self) -> ThemeTerms:
        return ThemeTerms(self.budget_share_pct, self.national)

    def clean(self):
        """Refuse a share or `national` that changes an approved year's budget (theme_reaches).

        Approved years change only after policy staff reopen them (domain.md, "Sign-off and
        locking"); a share changed in the admin moved an approved year's split. The name, the
        ambition text and the order move no cent and stay free.
        """
        super().clean()
        if not self.institution_id:
            return
        stored = Theme.objects.select_related("institution").filter(pk=self.pk).first() if self.pk else None
        if stored is None:
            refuse_reaches(self.institution, theme_reaches(self.institution, self.code, None, self.terms))
        elif stored.institution_id != self.institution_id:
            refuse_move_between_institutions(
                stored.institution_id, self, f"Thema {self.code} naar een andere instelling verandert het budget"
            )
        else:
            institution = stored.institution
            refuse_reaches(institution, theme_reaches(institution, self.code, stored.terms, self.terms))

    def refuse_delete_in_locked_years(self) -> None:
        """Refuse deleting the theme while its share, share revisions or other funds are in an approved year's budget.

        Its indicators are protected from the delete; its revisions and funds go with it.
        """
        institution = self.institution
        reaches = theme_reaches(institution, self.code, self.terms, None)
        for revision in self.share_revisions.all():
            if revision.budget_share_pct:
                what = f"Zonder de herziening van het budgetaandeel van {self.code} vanaf {revision.from_year}"
                reaches.append(
                    Reach("", "", tuple(institution.years_from(revision.from_year)), f"{what} verandert het budget")
                )
        for fund in self.additional_funds.all():
            reaches += fund_reaches(institution, fund.terms, None)
        refuse_reaches(institution, reaches)


class ThemeShareRevision(ConstraintErrorsOnFields, models.Model):
    """A theme's budget share from a year on (herijking, agenda ch. 12); earlier years keep theirs.

    The share in force in year Y is that of the latest revision with from_year <= Y, else the
    theme's own budget_share_pct (domain.md, "The agenda changes over time").
    """

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="share_revisions", verbose_name="thema")
    from_year = models.PositiveSmallIntegerField("vanaf (jaar)")
    budget_share_pct = models.DecimalField("aandeel budget (%)", **PCT_DIGITS)
    reason = models.TextField("reden", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="auteur"
    )
    created_at = models.DateTimeField("vastgesteld op", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "herziening budgetaandeel"
        verbose_name_plural = "herzieningen budgetaandeel"
        ordering = ["theme", "from_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["theme", "from_year"],
                name="theme_share_revision_unique",
                **field_error("from_year", "Dit thema heeft al een herijkt budgetaandeel vanaf dit jaar."),
            ),
            models.CheckConstraint(
                condition=Q(budget_share_pct__gte=0) & Q(budget_share_pct__lte=100),
                name="theme_share_revision_range",
                **field_error("budget_share_pct", "Het budgetaandeel ligt tussen 0 en 100 procent."),
            ),
        ]

    def __str__(self):
        return f"{self.theme.code} vanaf {self.from_year}: {self.budget_share_pct} %"


class Goal(models.Model):
    """An operational goal (doel) of a theme."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="goals", verbose_name="thema")
    text = models.TextField("doel")
    position = models.PositiveSmallIntegerField("volgorde", default=0)

    class Meta:
        verbose_name = "doel"
        verbose_name_plural = "doelen"
        ordering = ["theme", "position"]

    def __str__(self):
        return self.text[:80]


class Indicator(ConstraintErrorsOnFields, models.Model):
    """A measurable quantity of a theme with its unit, polarity, levels and baseline."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="indicators", verbose_name="instelling"
    )
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="indicators", verbose_name="thema")
    code = models.CharField("code", max_length=20)
    name = models.CharField("naam", max_length=300)
    unit = models.CharField("eenheid", max_length=10, choices=Unit.choices)
    polarity = models.CharField("richting", max_length=10, choices=Polarity.choices)
    levels = models.JSONField("niveaus", default=list)
    baseline_year = models.PositiveSmallIntegerField("nulmeting jaar")
    baseline_value = ValueField("nulmeting waarde", null=True, blank=True)
    description = models.TextField("toelichting", blank=True)
    definition = models.TextField("definitie", blank=True, help_text="wat gemeten wordt (agendabestand)")
    source = models.TextField(
        "bron", blank=True, help_text="waar de cijfers vandaan komen: DUO, JOB, interne benchmark, ..."
    )
    choices = models.JSONField(
        "keuzes van de instelling",
        default=list,
        blank=True,
        help_text='wat de agenda openlaat: [{"field": "baseline.year", "reason": "..."}] (agendabestand)',
    )
    position = models.PositiveSmallIntegerField("volgorde", default=0)
    # Breakdowns (issue 18; agenda ch. 4-9 split 2a by vooropleiding, vsv by mbo level): per
    # dimension its groups, e.g. {"vooropleiding": ["PrO", "vso", "vmbo-b"]} (agenda file key
    # `breakdowns`). The judged value stays the total; group values live in ContextValue.
    breakdowns = models.JSONField(
        "uitsplitsingen",
        default=dict,
        blank=True,
        help_text='per dimensie de groepen: {"vooropleiding": ["PrO", "vso"]} (agendabestand)',
    )
    # A weighted composite (the IBM, 1a, "een gewogen samengestelde indicator"): when true the
    # component weights are multiplied by each component value's n (agenda file `composite`).
    composite_weight_by_n = models.BooleanField("componenten wegen met n", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "indicator"
        verbose_name_plural = "indicatoren"
        ordering = ["institution", "position", "code"]
        constraints = [
            # Ignoring case, as an upload matches indicator codes (contracts.md section 2).
            models.UniqueConstraint(
                Lower("code"),
                "institution",
                name="indicator_code_unique",
                **field_error(
                    "code", "Deze indicatorcode is al in gebruik binnen de instelling (hoofdletters tellen niet mee)."
                ),
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        """Refuse a theme of another institution, invalid levels, a baseline outside the unit's range,
        and a change that moves an approved year's verdicts (_refuse_changes_in_locked_years)."""
        errors = {}
        if self.theme_id and self.institution_id and self.theme.institution_id != self.institution_id:
            errors["theme"] = "Het thema hoort niet bij deze instelling."
        valid = set(Level.values)
        if not self.levels or not set(self.levels) <= valid or Level.INSTITUTION not in self.levels:
            errors["levels"] = "Niveaus: een lijst uit team, college, institution met institution."
        # The loader refuses a baseline outside the unit's range (agenda.schema); so does the admin.
        if problem := unit_value_problem(self.unit, self.baseline_value):
            errors["baseline_value"] = problem
        try:
            self._refuse_changes_in_locked_years()
        except ValidationError as exc:
            _add_errors(errors, exc)
        if errors:
            raise ValidationError(errors)

    def terms(self, theme_code: str) -> IndicatorTerms:
        """Return what the indicator's verdicts are judged on, its theme being `theme_code`."""
        return IndicatorTerms(
            theme_code, self.polarity, self.institution_only, (self.baseline_year, self.baseline_value)
        )

    def _refuse_changes_in_locked_years(self) -> None:
        """Refuse a theme, polarity, institution-only level or baseline that moves an approved year's verdicts.

        Approved years change only after policy staff reopen them (domain.md, "Sign-off and
        locking"): the richting flipped in the admin turned an approved "niet gehaald" into
        "gehaald". indicator_reaches says which years each change reaches; names, descriptions,
        definitions, sources and the unit move no verdict and stay free. A new indicator has no values.
        """
        if self.pk is None or not self.institution_id:
            return
        # One query, the institution with it: a change of a name asks nothing more.
        stored = Indicator.objects.select_related("theme", "institution").filter(pk=self.pk).first()
        if stored is None:
            return
        if stored.institution_id != self.institution_id:
            what = f"Indicator {self.code} naar een andere instelling verandert de oordelen"
            refuse_move_between_institutions(stored.institution_id, self, what)
            return
        before = stored.terms(stored.theme.code)
        after = self.terms(before.theme if self.theme_id == stored.theme_id else self.theme.code)
        refuse_reaches(stored.institution, indicator_reaches(stored.institution, self.code, before, after))

    def refuse_delete_in_locked_years(self) -> None:
        """Refuse deleting a composite while a year is approved: its verdicts come from its components.

        Its own values are protected from the delete (Measurement.indicator), so an indicator that
        is no composite has none to take along.
        """
        before = self.terms("")._replace(composite=self.components.exists())
        refuse_reaches(self.institution, indicator_reaches(self.institution, self.code, before, None))

    @property
    def marked_choices(self) -> list[dict]:
        """Return the institution's choices where the agenda leaves a setting open: field, Dutch label, reason."""
        return [
            {"field": choice["field"], "label": choice_label(choice["field"]), "reason": choice["reason"]}
            for choice in self.choices
        ]

    @property
    def institution_only(self) -> bool:
        """Return whether the indicator is measured at institution level only (agenda ch. 8, 3c)."""
        return set(self.levels) == {Level.INSTITUTION}

    @property
    def team_level(self) -> bool:
        """Return whether teams report values for this indicator."""
        return Level.TEAM in self.levels


class CompositeComponent(models.Model):
    """One component of a composite indicator and its weight (issue 18; agenda: the IBM is weighted).

    The composite's value at a unit is computed from its components at that unit when no value is
    given there; a given value always wins (domain.md, aggregation).
    """

    composite = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="components", verbose_name="samengestelde indicator"
    )
    component = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="composites", verbose_name="onderdeel"
    )
    weight = ValueField("gewicht")
    position = models.PositiveSmallIntegerField("volgorde", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "component van een samengestelde indicator"
        verbose_name_plural = "componenten van samengestelde indicatoren"
        ordering = ["composite", "position", "component"]
        constraints = [
            models.UniqueConstraint(fields=["composite", "component"], name="composite_component_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="composite_weight_positive"),
            models.CheckConstraint(condition=~Q(composite=models.F("component")), name="composite_not_itself"),
        ]

    def __str__(self):
        return f"{self.composite.code} <- {self.component.code} x {self.weight}"


class Applicability(ConstraintErrorsOnFields, models.Model):
    """The colleges an indicator applies to, from a year on (domain.md, "Which teams and colleges count").

    from_year empty is the indicator's own list, from the start; a herijking adds a row from a
    later year and never rewrites earlier years. The list in force in year Y is that of the
    latest row with from_year <= Y, else the own list; no row in force: every college.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="applicability")
    from_year = models.PositiveSmallIntegerField(
        "vanaf (jaar)", null=True, blank=True, help_text="leeg: vanaf het begin (de eigen lijst van de indicator)"
    )
    colleges = models.ManyToManyField(College, related_name="applicable_indicators", verbose_name="colleges")
    reason = models.TextField("reden", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="auteur"
    )
    created_at = models.DateTimeField("vastgesteld op", auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[colleges])

    class Meta:
        verbose_name = "toepasbaarheid"
        verbose_name_plural = "toepasbaarheid"
        ordering = ["indicator", models.F("from_year").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "from_year"],
                condition=Q(from_year__isnull=False),
                name="applicability_unique",
                **field_error("from_year", "Deze indicator heeft al een toepasbaarheid vanaf dit jaar."),
            ),
            models.UniqueConstraint(
                fields=["indicator"],
                condition=Q(from_year__isnull=True),
                name="applicability_base_unique",
                **field_error("indicator", "Deze indicator heeft al een toepasbaarheid zonder beginjaar."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} " + (f"vanaf {self.from_year}" if self.from_year else "vanaf het begin")


class BaselineRevision(ConstraintErrorsOnFields, models.Model):
    """An indicator's baseline (nulmeting) from a year on (herijking); earlier years keep the original."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="baseline_revisions")
    from_year = models.PositiveSmallIntegerField("vanaf (jaar)")
    baseline_year = models.PositiveSmallIntegerField("nulmeting jaar")
    baseline_value = ValueField("nulmeting waarde", null=True, blank=True)
    reason = models.TextField("reden", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="auteur"
    )
    created_at = models.DateTimeField("vastgesteld op", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "herziening nulmeting"
        verbose_name_plural = "herzieningen nulmeting"
        ordering = ["indicator", "from_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "from_year"],
                name="baseline_revision_unique",
                **field_error("from_year", "Deze indicator heeft al een herziene nulmeting vanaf dit jaar."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} vanaf {self.from_year}: nulmeting {self.baseline_year}"

    def clean(self):
        """Refuse a baseline outside the indicator's unit, as for the indicator's own baseline (Indicator.clean)."""
        super().clean()
        if self.indicator_id and (problem := unit_value_problem(self.indicator.unit, self.baseline_value)):
            raise ValidationError({"baseline_value": problem})


class Ambition(ConstraintErrorsOnFields, models.Model):
    """The ambition of an indicator for one year; the herijking adds revisions, never overwrites."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="ambitions")
    year = models.PositiveSmallIntegerField("jaar")
    revision = models.PositiveSmallIntegerField("versie", default=1)
    type = models.CharField("soort", max_length=10, choices=AmbitionType.choices)
    target = ValueField("streefcijfer", null=True, blank=True)
    tolerance = ValueField("marge", default=0)
    indicative = models.BooleanField("indicatief", default=False)
    reason = models.TextField("reden", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="auteur"
    )
    created_at = models.DateTimeField("vastgesteld op", auto_now_add=True)

    class Meta:
        verbose_name = "ambitie"
        verbose_name_plural = "ambities"
        ordering = ["indicator", "year", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "revision"],
                name="ambition_revision_unique",
                **field_error("revision", "Deze indicator heeft voor dit jaar al een ambitie met deze versie."),
            ),
            models.CheckConstraint(
                condition=Q(tolerance__gte=0),
                name="ambition_tolerance_nonneg",
                **field_error("tolerance", "De marge is nul of groter."),
            ),
            models.CheckConstraint(
                condition=Q(type=AmbitionType.TARGET, target__isnull=False) | ~Q(type=AmbitionType.TARGET),
                name="ambition_target_required",
                **field_error("target", "Een ambitie van de soort streefcijfer heeft een streefcijfer nodig."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.year} v{self.revision}: {self.get_type_display()}"

    def clean(self):
        """Refuse a target on an ambition that is not a target, or outside the indicator's unit.

        The one home of these rules for every channel: the policy page, the admin and the loader all
        write through agenda.services.ambition_add, whose full_clean runs this (the admin's form runs
        it first, so its message stands beside the field); the loader also checks its file the same
        way, with the file's paths (agenda.schema._ambition_terms).
        """
        super().clean()
        if self.target is None:
            return  # a target ambition without a target: the constraint ambition_target_required
        if self.type and self.type != AmbitionType.TARGET:
            raise ValidationError({"target": "Alleen een ambitie van de soort streefcijfer heeft een streefcijfer."})
        if self.indicator_id and (problem := unit_value_problem(self.indicator.unit, self.target)):
            raise ValidationError({"target": problem})


class Factor(ConstraintErrorsOnFields, models.Model):
    """An exogenous factor (verklaarbaar) expected to move an indicator (agenda ch. 4.4)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="factors")
    name = models.CharField("factor", max_length=200)
    effect = models.CharField("verwacht effect", max_length=1, choices=Effect.choices, default=Effect.UNKNOWN)
    description = models.TextField("toelichting", blank=True)
    position = models.PositiveSmallIntegerField("volgorde", default=0)

    class Meta:
        verbose_name = "verklarende factor"
        verbose_name_plural = "verklarende factoren"
        ordering = ["indicator", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "name"],
                name="factor_name_unique",
                **field_error("name", "Deze indicator heeft al een factor met deze naam."),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.effect})"


class FactorRevision(models.Model):
    """One write of an explanatory factor from the policy pages, with its reason: the factor's history.

    A factor has no year and moves no verdict; the history says who added or changed it and why
    (issue 15 item 5: every agenda change is a revision with a reason).
    """

    # SET_NULL: a load with --file-wins may delete a factor made in the application, and that
    # application's revision is kept in history, never erased (domain.md, "The agenda changes over time").
    factor = models.ForeignKey(Factor, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions")
    # The indicator the factor belonged to, kept when the factor goes: the mid-term pack reads the
    # history per institution, and through `factor` a removed factor's revisions (its reasons and
    # the removal itself) vanished from "Wat is er veranderd en waarom". Empty only for a revision
    # whose factor was removed before this field existed (migration 0015).
    indicator = models.ForeignKey(
        Indicator,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="factor_revisions",
        verbose_name="indicator",
    )
    name = models.CharField("factor", max_length=200)
    effect = models.CharField("verwacht effect", max_length=1, choices=Effect.choices)
    description = models.TextField("toelichting", blank=True)
    reason = models.TextField("reden")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="auteur"
    )
    created_at = models.DateTimeField("vastgesteld op", auto_now_add=True)

    class Meta:
        verbose_name = "herziening van een factor"
        verbose_name_plural = "herzieningen van factoren"
        ordering = ["factor", "-created_at", "-id"]

    def __str__(self):
        owner = self.indicator.code if self.indicator_id else "verwijderde factor"
        return f"{owner}: {self.name} ({self.created_at:%Y-%m-%d})"


class BudgetYear(ConstraintErrorsOnFields, models.Model):
    """The quality budget of one year, with the result-dependent part and the top-slice (ch. 12)."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="budget_years", verbose_name="instelling"
    )
    year = models.PositiveSmallIntegerField("jaar")
    total_cents = models.BigIntegerField("totaal (eurocent)")
    result_dependent_pct = models.DecimalField("resultaatafhankelijk (%)", default=25, **PCT_DIGITS)
    central_pct = models.DecimalField("gemeenschappelijke voorzieningen (%)", default=0, **PCT_DIGITS)
    # The institution's whole lumpsum of the year (issue 14): the manifesto asks the quality budget's
    # share of it (10 %). Entered on /maatregelen/manifest/; empty until policy staff enter it.
    lumpsum_total_cents = models.BigIntegerField("totale lumpsum (eurocent)", null=True, blank=True)
    choices = models.JSONField(
        "keuzes van de instelling",
        default=list,
        blank=True,
        help_text='wat de agenda openlaat: [{"field": "central_pct", "reason": "..."}] (agendabestand)',
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "budgetjaar"
        verbose_name_plural = "budgetjaren"
        ordering = ["institution", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "year"],
                name="budget_year_unique",
                **field_error("year", "Voor dit jaar is al een budget vastgelegd."),
            ),
            models.CheckConstraint(
                condition=Q(total_cents__gte=0),
                name="budget_total_nonneg",
                **field_error("total_cents", "Het totaalbedrag is nul of groter."),
            ),
            models.CheckConstraint(
                condition=Q(lumpsum_total_cents__isnull=True) | Q(lumpsum_total_cents__gte=0),
                name="budget_lumpsum_nonneg",
                **field_error("lumpsum_total_cents", "De totale lumpsum is nul of groter."),
            ),
            models.CheckConstraint(
                condition=Q(result_dependent_pct__gte=0) & Q(result_dependent_pct__lte=100),
                name="budget_rd_range",
                **field_error("result_dependent_pct", "Het resultaatafhankelijke deel ligt tussen 0 en 100 procent."),
            ),
            models.CheckConstraint(
                condition=Q(central_pct__gte=0) & Q(central_pct__lte=100),
                name="budget_central_range",
                **field_error(
                    "central_pct", "Het deel voor gemeenschappelijke voorzieningen ligt tussen 0 en 100 procent."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.institution.code} {self.year}"

    def clean(self):
        """Refuse a budget year outside the institution's period and a result-dependent part above 25 %.

        Both as the agenda loader does (agenda.schema); the database constraint allows up to 100 %,
        which the engine can compute, but domain.md (budget) and manifesto principle 4 allow 25 %.
        A change that moves an approved year's split is refused too (_refuse_changes_in_locked_years).
        """
        super().clean()
        errors = {}
        if self.institution_id is not None and self.year is not None:
            institution = self.institution
            if self.year not in institution.years:
                errors["year"] = (
                    f"{self.year} valt buiten de periode {institution.period_start}-{institution.period_end}."
                )
        pct = self.result_dependent_pct
        if isinstance(pct, Decimal | int) and pct > RESULT_DEPENDENT_MAX_PCT:
            most = dutch(RESULT_DEPENDENT_MAX_PCT)
            errors["result_dependent_pct"] = (
                f"Het resultaatafhankelijke deel is hoogstens {most} %: {dutch(Decimal(pct))} valt buiten 0-{most}."
            )
        try:
            self._refuse_changes_in_locked_years()
        except ValidationError as exc:
            _add_errors(errors, exc)
        if errors:
            raise ValidationError(errors)

    @property
    def terms(self) -> BudgetTerms:
        return BudgetTerms(self.year, self.total_cents, self.result_dependent_pct, self.central_pct)

    def _refuse_changes_in_locked_years(self) -> None:
        """Refuse a new or changed row whose split moves an approved year (budget_year_reaches).

        Approved years change only after policy staff reopen them (domain.md, "Sign-off and
        locking"). The lumpsum and the choices move no cent of the split and stay free.
        """
        if not self.institution_id or self.year is None:
            return
        stored = BudgetYear.objects.select_related("institution").filter(pk=self.pk).first() if self.pk else None
        if stored is None:
            refuse_reaches(self.institution, budget_year_reaches(self.institution, None, self.terms))
        elif stored.institution_id != self.institution_id:
            what = f"Het budget van {self.year} naar een andere instelling verandert de verdeling"
            refuse_move_between_institutions(stored.institution_id, self, what)
        else:
            institution = stored.institution
            refuse_reaches(institution, budget_year_reaches(institution, stored.terms, self.terms))

    def refuse_delete_in_locked_years(self) -> None:
        """Refuse deleting the row while its year or a later one is approved (budget_year_reaches)."""
        refuse_reaches(self.institution, budget_year_reaches(self.institution, self.terms, None))


class AdditionalFund(ConstraintErrorsOnFields, models.Model):
    """Other additional funds for a theme (municipal, RIF, ...), shown beside the quality budget."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="additional_funds", verbose_name="instelling"
    )
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="additional_funds", verbose_name="thema")
    year = models.PositiveSmallIntegerField("jaar", null=True, blank=True, help_text="leeg: elk jaar")
    source = models.CharField("bron", max_length=200)
    amount_cents = models.BigIntegerField("bedrag (eurocent)")
    note = models.TextField("toelichting", blank=True)

    class Meta:
        verbose_name = "andere additionele middelen"
        verbose_name_plural = "andere additionele middelen"
        ordering = ["institution", "theme__position", "year", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["theme", "year", "source"],
                condition=Q(year__isnull=False),
                name="fund_year_unique",
                **field_error("source", "Dit thema heeft voor dit jaar al een bedrag uit deze bron."),
            ),
            models.UniqueConstraint(
                fields=["theme", "source"],
                condition=Q(year__isnull=True),
                name="fund_unique",
                **field_error("source", "Dit thema heeft al een bedrag uit deze bron voor elk jaar."),
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0),
                name="fund_amount_nonneg",
                **field_error("amount_cents", "Het bedrag is nul of groter."),
            ),
        ]

    def __str__(self):
        return f"{self.theme.code} {self.source}"

    @property
    def terms(self) -> FundTerms:
        return FundTerms(self.amount_cents, self.year, self.source, self.theme_id)

    def clean(self):
        """Refuse a new or changed fund in an approved year's budget overview (fund_reaches).

        Approved years change only after policy staff reopen them (domain.md, "Sign-off and
        locking"). The note moves no cent and stays free.
        """
        super().clean()
        if not self.institution_id or self.amount_cents is None:
            return
        stored = AdditionalFund.objects.select_related("institution").filter(pk=self.pk).first() if self.pk else None
        if stored is None:
            refuse_reaches(self.institution, fund_reaches(self.institution, None, self.terms))
        elif stored.institution_id != self.institution_id:
            what = f"Het bedrag uit ‘{self.source}’ naar een andere instelling verandert het budgetoverzicht"
            refuse_move_between_institutions(stored.institution_id, self, what)
        else:
            institution = stored.institution
            refuse_reaches(institution, fund_reaches(institution, stored.terms, self.terms))

    def refuse_delete_in_locked_years(self) -> None:
        """Refuse deleting the fund while a year whose budget overview shows it is approved (fund_reaches)."""
        refuse_reaches(self.institution, fund_reaches(self.institution, self.terms, None))


class AgendaLoad(models.Model):
    """One load of an agenda file and what it set, so a later load can tell the application's changes.

    `values` maps each setting of the file (labelled as in the conflict messages, e.g.
    "thema T2: budget_share_pct") to its plain value; `removed` lists the settings the load
    removed; `overridden` the application's values the file replaced with --file-wins.
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="agenda_loads", verbose_name="instelling"
    )
    source = models.CharField("bestand", max_length=300, blank=True)
    loaded_at = models.DateTimeField("geladen op", auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name="gebruiker"
    )
    file_wins = models.BooleanField("bestand wint", default=False)
    values = models.JSONField("gezet door het bestand", default=dict)
    removed = models.JSONField("verwijderd door het bestand", default=list)
    overridden = models.JSONField("overschreven waarden uit de applicatie", default=list)

    class Meta:
        verbose_name = "geladen agendabestand"
        verbose_name_plural = "geladen agendabestanden"
        ordering = ["institution", "-loaded_at", "-id"]

    def __str__(self):
        return f"{self.institution.code} {self.source} {self.loaded_at:%Y-%m-%d %H:%M}"


class Membership(ConstraintErrorsOnFields, models.Model):
    """A user's role in one institution; directors are tied to their colleges."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name="gebruiker"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="memberships", verbose_name="instelling"
    )
    role = models.CharField("rol", max_length=10, choices=Role.choices)
    colleges = models.ManyToManyField(College, blank=True, related_name="directors", verbose_name="colleges")
    # A teamleider writes values for these teams only; other roles leave it empty.
    teams = models.ManyToManyField("Team", blank=True, related_name="leaders", verbose_name="teams")
    api_write = models.BooleanField(
        "API mag schrijven", default=False, help_text="alleen voor API-clients: schrijven zoals de rol toestaat"
    )

    class Meta:
        verbose_name = "rol"
        verbose_name_plural = "rollen"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "institution"],
                name="membership_unique",
                **field_error("user", "Deze gebruiker heeft al een rol in deze instelling."),
            )
        ]

    def __str__(self):
        return f"{self.user} {self.institution.code} {self.role}"

    def clean(self):
        """Refuse a partner role for a staff account: partners never reach the admin (issue 14, item 4)."""
        if self.role == Role.PARTNER and self.user_id and self.user.is_staff:
            raise ValidationError(
                {"role": "Een regionale partner krijgt geen toegang tot het beheer: haal eerst 'medewerker' weg."}
            )
