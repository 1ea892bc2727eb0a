"""Forms of the measure, evidence and Q-review pages; maatregelen.services does the writing."""

import re

from django import forms
from django.core.exceptions import ValidationError

from agenda.forms import PageForm
from agenda.models import College, Indicator, Team, Theme
from kern.money import cents_to_euros  # noqa: F401 -- its old home; the forms below use it too
from maatregelen.choices import (
    ActionStatus,
    CheckInStatus,
    EvidenceKind,
    MeasureCategory,
    MeasureStatus,
    PromiseOrigin,
    TargetGroup,
)
from maatregelen.models import Evidence, Measure, Promise, Review, Spending

_EURO_GROUPED = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]{1,2}))?")  # 45.000 or 45.000,50
_EURO_COMMA = re.compile(r"([0-9]+)(?:,([0-9]{1,2}))?")  # 45000 or 45000,50
_EURO_POINT = re.compile(r"([0-9]+)\.([0-9]{1,2})")  # 45000.50
MSG_EURO = "Geen bedrag in euro's; schrijf bijvoorbeeld 45.000 of 45.000,50."


def euros_to_cents(text: str) -> int:
    """Return an amount typed in euros (Dutch notation, '€' allowed) as integer cents."""
    compact = re.sub(r"\s+", "", text or "").removeprefix("€").removeprefix("EUR")
    if not compact:
        return 0
    if compact.startswith("-"):
        raise ValidationError("Een bedrag kan niet negatief zijn.")
    for pattern in (_EURO_GROUPED, _EURO_COMMA, _EURO_POINT):
        match = pattern.fullmatch(compact)
        if match:
            whole = int(match.group(1).replace(".", ""))
            cents = int((match.group(2) or "0").ljust(2, "0"))
            return whole * 100 + cents
    raise ValidationError(MSG_EURO)


class EuroField(forms.CharField):
    """An amount typed in euros, cleaned to integer cents (money is stored in cents, style.md)."""

    def __init__(self, **kwargs):
        """Set a narrow text input that accepts Dutch notation."""
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "money"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        """Show initial cents as euros; typed text stays as typed."""
        return cents_to_euros(value) if isinstance(value, int) else value

    def to_python(self, value):
        """Return the amount in cents."""
        return euros_to_cents(super().to_python(value))


class EditForm(PageForm):
    """A form that may change a stored record: it carries the version its page showed (maatregelen.versions)."""

    # Empty on an add page; on an edit page the view fills it, and the save compares it with what is stored.
    version = forms.CharField(label="Versie", widget=forms.HiddenInput, required=False, max_length=2000)


class MeasureForm(EditForm):
    """A measure of the college: what, for which theme and indicators, with what budget and owner."""

    title = forms.CharField(label="Titel", max_length=Measure._meta.get_field("title").max_length)
    description = forms.CharField(label="Beschrijving", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    theme = forms.ModelChoiceField(label="Thema", queryset=Theme.objects.none(), empty_label="Kies een thema")
    category = forms.ChoiceField(label="Categorie", choices=MeasureCategory.choices, widget=forms.RadioSelect)
    indicators = forms.ModelMultipleChoiceField(
        label="Gericht op de indicatoren",
        queryset=Indicator.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    planned_budget_cents = EuroField(
        label="Gepland budget (euro)", required=False, help_text="Bijvoorbeeld 45.000 of 45.000,50."
    )
    status = forms.ChoiceField(label="Status", choices=MeasureStatus.choices)
    owner = forms.CharField(
        label="Eigenaar",
        required=False,
        max_length=Measure._meta.get_field("owner").max_length,
        help_text="Wie de maatregel trekt, bijvoorbeeld een teamleider.",
    )
    public = forms.BooleanField(
        label="Openbaar voor partners",
        required=False,
        help_text="Dan staat de maatregel (titel, beschrijving, thema en status) op de verantwoording voor "
        "regionale partners en medezeggenschap; nooit het college of de teams.",
    )

    def __init__(self, *args, college: College, **kwargs):
        """Offer the themes and indicators of the college's institution."""
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(institution_id=college.institution_id)
        self.fields["indicators"].queryset = Indicator.objects.filter(institution_id=college.institution_id)
        self.fields["indicators"].label_from_instance = lambda indicator: f"{indicator.code} {indicator.name}"

    @staticmethod
    def initial_for(measure: Measure) -> dict:
        """Return the form's initial data for an existing measure."""
        return {
            "title": measure.title,
            "description": measure.description,
            "theme": measure.theme_id,
            "category": measure.category,
            "indicators": list(measure.indicators.values_list("pk", flat=True)),
            "planned_budget_cents": measure.planned_budget_cents,
            "status": measure.status,
            "owner": measure.owner,
            "public": measure.public,
        }


def _year_choices(college: College) -> list[tuple[int, int]]:
    """Return the agenda years of the college's institution as choices."""
    return [(year, year) for year in college.institution.years]


class EvidenceForm(EditForm):
    """Noticeable evidence (merkbaar): a story, audit finding, student-journey episode or image link."""

    kind = forms.ChoiceField(label="Soort", choices=EvidenceKind.choices, widget=forms.RadioSelect)
    theme = forms.ModelChoiceField(label="Thema", queryset=Theme.objects.none(), empty_label="Kies een thema")
    indicator = forms.ModelChoiceField(
        label="Indicator",
        queryset=Indicator.objects.none(),
        required=False,
        empty_label="Geen: het thema als geheel",
        help_text="Bij welke ambitie het bewijs hoort; de indicator hoort bij het gekozen thema.",
    )
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.none(), required=False, empty_label="Het hele college"
    )
    year = forms.TypedChoiceField(label="Jaar", coerce=int)
    title = forms.CharField(label="Titel", max_length=Evidence._meta.get_field("title").max_length)
    text = forms.CharField(
        label="Tekst",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Het verhaal, de bevinding of de episode in gewone woorden.",
    )
    link = forms.URLField(
        label="Link",
        required=False,
        assume_scheme="https",
        help_text="Bij een beeld: het adres van de foto of video (https://...).",
    )
    public = forms.BooleanField(
        label="Openbaar voor partners",
        required=False,
        help_text="Dan staan titel, tekst en link op de verantwoording voor regionale partners en "
        "medezeggenschap; nooit het college of het team. Noem in de tekst dan ook geen team.",
    )

    def __init__(self, *args, college: College, **kwargs):
        """Offer the institution's themes, the college's teams and the agenda years."""
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(institution_id=college.institution_id)
        self.fields["indicator"].queryset = _indicators(college.institution_id)
        self.fields["indicator"].label_from_instance = _indicator_label
        self.fields["team"].queryset = Team.objects.filter(college=college).order_by("code")
        self.fields["year"].choices = _year_choices(college)

    def clean(self):
        """Require a link for an image and some text for every other kind; the indicator of the theme."""
        data = super().clean()
        if data.get("kind") == EvidenceKind.IMAGE and not data.get("link"):
            self.add_error("link", "Geef bij een beeld de link naar de foto of video.")
        elif data.get("kind") and data.get("kind") != EvidenceKind.IMAGE and not data.get("text"):
            self.add_error("text", "Vertel in een paar zinnen wat er merkbaar is.")
        return data

    @staticmethod
    def initial_for(evidence: Evidence) -> dict:
        """Return the form's initial data for existing evidence."""
        return {
            "kind": evidence.kind,
            "theme": evidence.theme_id,
            "indicator": evidence.indicator_id,
            "team": evidence.team_id,
            "year": evidence.year,
            "title": evidence.title,
            "text": evidence.text,
            "link": evidence.link,
            "public": evidence.public,
        }


def _indicators(institution_id: int):
    """Return the institution's indicators in the agenda's order."""
    return Indicator.objects.filter(institution_id=institution_id).select_related("theme").order_by("position", "code")


def _indicator_label(indicator: Indicator) -> str:
    """Return an indicator as the pages name it: '2b Jaarresultaat (T2)'."""
    return f"{indicator.code} {indicator.name} ({indicator.theme.code})"


_DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ReviewForm(EditForm):
    """A Q-review (Q-gesprek) of a college, one of its teams, or the institution, in one quadrimester."""

    year = forms.TypedChoiceField(label="Jaar", coerce=int)
    quadrimester = forms.TypedChoiceField(
        label="Quadrimester", coerce=int, choices=Review._meta.get_field("quadrimester").choices
    )
    team = forms.ModelChoiceField(
        label="Gesprek over",
        queryset=Team.objects.none(),
        required=False,
        empty_label="Het hele college",
        help_text="Een Q-gesprek van het college, of van één van zijn teams.",
    )
    held_on = forms.DateField(label="Datum van het gesprek", required=False, **_DATE)
    notes = forms.CharField(label="Verslag", required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, college: College | None = None, institution=None, **kwargs):
        """Offer the agenda years and, for a college, its teams; the institution's review has no team."""
        super().__init__(*args, **kwargs)
        if college is None:
            del self.fields["team"]
            self.fields["year"].choices = [(year, year) for year in institution.years]
        else:
            self.fields["team"].queryset = Team.objects.filter(college=college).order_by("code")
            self.fields["year"].choices = _year_choices(college)

    @staticmethod
    def initial_for(review: Review) -> dict:
        """Return the form's initial data for an existing Q-review."""
        return {
            "year": review.year,
            "quadrimester": review.quadrimester,
            "team": review.team_id,
            "held_on": review.held_on,
            "notes": review.notes,
        }


class ActionItemForm(PageForm):
    """An action agreed in a Q-gesprek: what, who, by when, optionally for one indicator."""

    description = forms.CharField(label="Afspraak", widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(
        label="Eigenaar",
        required=False,
        max_length=200,
        help_text="Wie de afspraak uitvoert, bijvoorbeeld een teamleider.",
    )
    due_on = forms.DateField(label="Gereed op", required=False, **_DATE)
    indicator = forms.ModelChoiceField(
        label="Indicator", queryset=Indicator.objects.none(), required=False, empty_label="Geen bepaalde indicator"
    )

    def __init__(self, *args, institution, **kwargs):
        """Offer the institution's indicators."""
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = _indicators(institution.pk)
        self.fields["indicator"].label_from_instance = _indicator_label


class FollowUpForm(EditForm):
    """How an earlier action stands now, with a note (one form per open action, prefixed by its id).

    `version` is the follow-up the page showed (page_reads.NOTHING: none yet), `action_version` the
    action as shown: a follow-up or status someone saved since is not overwritten unseen.
    """

    action_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    status = forms.ChoiceField(label="Status nu", choices=ActionStatus.choices)
    note = forms.CharField(label="Toelichting", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CheckInForm(EditForm):
    """How an ambition is doing: op koers, risico or uit koers, with a note.

    `version` holds the check-ins the page listed (page_reads.listed): a check-in for the chosen
    indicator recorded or changed since is not replaced unseen.
    """

    # One version per listed check-in (about 75 characters each), one check-in per indicator: room
    # for a thousand indicators, still bounded.
    version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100_000)

    indicator = forms.ModelChoiceField(
        label="Indicator", queryset=Indicator.objects.none(), empty_label="Kies een indicator"
    )
    status = forms.ChoiceField(label="Koers", choices=CheckInStatus.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="Toelichting", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, institution, **kwargs):
        """Offer the institution's indicators."""
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = _indicators(institution.pk)
        self.fields["indicator"].label_from_instance = _indicator_label


# --- Realised spending and the manifesto's model (issue 14) -------------------------------------


class SpendingForm(EditForm):
    """A line of realised spending: year, theme, college (empty: ROC-wide), optionally a measure, the amount."""

    year = forms.TypedChoiceField(label="Jaar", coerce=int)
    theme = forms.ModelChoiceField(label="Thema", queryset=Theme.objects.none(), empty_label="Kies een thema")
    college = forms.ModelChoiceField(
        label="College", queryset=College.objects.none(), required=False, empty_label="ROC-breed"
    )
    measure = forms.ModelChoiceField(
        label="Maatregel",
        queryset=Measure.objects.none(),
        required=False,
        empty_label="Niet aan één maatregel toe te wijzen",
        help_text="Een maatregel van het gekozen thema (en college).",
    )
    amount_cents = EuroField(label="Gerealiseerd (euro)", help_text="Bijvoorbeeld 12.345,67.")
    note = forms.CharField(label="Toelichting", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, institution, colleges=None, **kwargs):
        """Offer the institution's years, themes and measures, and the colleges the user may write (None: all)."""
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, year) for year in institution.years]
        self.fields["theme"].queryset = Theme.objects.filter(institution=institution)
        college_qs = College.objects.filter(institution=institution).order_by("code")
        if colleges is not None:
            college_qs = college_qs.filter(pk__in=colleges)
            # A director records their own colleges only: no ROC-wide line.
            self.fields["college"].required = True
            self.fields["college"].empty_label = "Kies een college"
        self.fields["college"].queryset = college_qs
        self.fields["college"].label_from_instance = lambda college: f"{college.code} {college.name}"
        self.fields["measure"].queryset = Measure.objects.filter(institution=institution).select_related(
            "theme", "college"
        )
        self.fields["measure"].label_from_instance = lambda m: (
            f"{m.theme.code} · {m.college.code if m.college_id else 'ROC-breed'} · {m.title}"
        )

    @staticmethod
    def initial_for(spending: Spending) -> dict:
        """Return the form's initial data for a stored spending line (the amount in cents, shown in euros)."""
        return {
            "year": spending.year,
            "theme": spending.theme_id,
            "college": spending.college_id,
            "measure": spending.measure_id,
            "amount_cents": spending.amount_cents,
            "note": spending.note,
        }


class SpendingUploadForm(PageForm):
    """A spending file (CSV or Excel) with the columns jaar, thema, college, maatregel, bedrag."""

    file = forms.FileField(
        label="Bestand (CSV of Excel)",
        help_text="Kolommen: jaar, thema, college (leeg: ROC-breed), maatregel (titel of nummer, mag leeg), "
        "bedrag (bijvoorbeeld 1.234,56). U ziet eerst wat er verandert.",
    )


class LumpsumForm(EditForm):
    """The year's total lumpsum, for the manifesto's investment share."""

    lumpsum_total_cents = EuroField(
        label="Totale lumpsum (euro)", required=False, help_text="Leeg laten als die nog niet bekend is."
    )

    def clean_lumpsum_total_cents(self):
        """Return None for an empty field (not yet known), else the cents."""
        raw = (self.data.get(self.add_prefix("lumpsum_total_cents")) or "").strip()
        return None if not raw else self.cleaned_data["lumpsum_total_cents"]


class PromiseForm(EditForm):
    """A promise (belofte) of the manifesto's model for a theme."""

    theme = forms.ModelChoiceField(label="Thema", queryset=Theme.objects.none(), empty_label="Kies een thema")
    title = forms.CharField(label="Belofte (kort)", max_length=200)
    promise = forms.CharField(label="Belofte", widget=forms.Textarea(attrs={"rows": 3}))
    origin = forms.ChoiceField(label="Herkomst", choices=PromiseOrigin.choices)
    target_groups = forms.MultipleChoiceField(
        label="Doelgroepen", choices=TargetGroup.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    own_target_groups = forms.CharField(
        label="Eigen doelgroepen van de agenda", max_length=300, required=False, help_text="Vrije tekst."
    )
    effect_inside = forms.CharField(
        label="Beoogd effect binnen de school", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    effect_outside = forms.CharField(
        label="Beoogd effect buiten de school", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    budget_cents = EuroField(label="Budget (euro)", required=False)
    accountability = forms.CharField(
        label="Verantwoording",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Hoe en aan wie verantwoording wordt afgelegd.",
    )
    regional_spearhead = forms.BooleanField(
        label="Eigen of regionaal speerpunt", required=False, help_text="Telt mee voor de 80 % van het manifest."
    )

    def __init__(self, *args, institution, **kwargs):
        """Offer the institution's themes."""
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(institution=institution)

    @staticmethod
    def initial_for(promise: Promise) -> dict:
        """Return the form's initial data for a stored promise (the budget in cents, shown in euros)."""
        return {
            "theme": promise.theme_id,
            "title": promise.title,
            "promise": promise.promise,
            "origin": promise.origin,
            "target_groups": promise.target_groups,
            "own_target_groups": promise.own_target_groups,
            "effect_inside": promise.effect_inside,
            "effect_outside": promise.effect_outside,
            "budget_cents": promise.budget_cents,
            "accountability": promise.accountability,
            "regional_spearhead": promise.regional_spearhead,
        }


class PartnerAgreementForm(PageForm):
    """What was agreed with a partner, and when."""

    partner = forms.CharField(label="Partner", max_length=200)
    agreement = forms.CharField(label="Afspraak", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    agreed_on = forms.DateField(label="Datum", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    regional_deal = forms.BooleanField(label="Onderdeel van een regiodeal", required=False)
