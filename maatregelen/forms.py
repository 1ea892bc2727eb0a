"""Forms of the measure, evidence and Q-review pages; maatregelen.services does the writing."""

import re

from django import forms
from django.core.exceptions import ValidationError

from agenda.forms import PageForm
from agenda.models import College, Indicator, Team, Theme
from maatregelen.choices import EvidenceKind, MeasureCategory, MeasureStatus
from maatregelen.models import Evidence, Measure, Review

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


def cents_to_euros(cents: int | None) -> str:
    """Return cents as a Dutch amount without the euro sign: 4500000 -> '45.000,00'."""
    whole, rest = divmod(int(cents or 0), 100)
    return f"{whole:,}".replace(",", ".") + f",{rest:02d}"


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


class MeasureForm(PageForm):
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
        }


def _year_choices(college: College) -> list[tuple[int, int]]:
    """Return the agenda years of the college's institution as choices."""
    return [(year, year) for year in college.institution.years]


class EvidenceForm(PageForm):
    """Noticeable evidence (merkbaar): a story, audit finding, student-journey episode or image link."""

    kind = forms.ChoiceField(label="Soort", choices=EvidenceKind.choices, widget=forms.RadioSelect)
    theme = forms.ModelChoiceField(label="Thema", queryset=Theme.objects.none(), empty_label="Kies een thema")
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

    def __init__(self, *args, college: College, **kwargs):
        """Offer the institution's themes, the college's teams and the agenda years."""
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(institution_id=college.institution_id)
        self.fields["team"].queryset = Team.objects.filter(college=college).order_by("code")
        self.fields["year"].choices = _year_choices(college)

    def clean(self):
        """Require a link for an image and some text for every other kind."""
        data = super().clean()
        if data.get("kind") == EvidenceKind.IMAGE and not data.get("link"):
            self.add_error("link", "Geef bij een beeld de link naar de foto of video.")
        elif data.get("kind") and data.get("kind") != EvidenceKind.IMAGE and not data.get("text"):
            self.add_error("text", "Vertel in een paar zinnen wat er merkbaar is.")
        return data


class ReviewForm(PageForm):
    """A Q-review (Q-gesprek): notes and agreed actions of one quadrimester."""

    year = forms.TypedChoiceField(label="Jaar", coerce=int)
    quadrimester = forms.TypedChoiceField(
        label="Quadrimester", coerce=int, choices=Review._meta.get_field("quadrimester").choices
    )
    held_on = forms.DateField(
        label="Datum van het gesprek", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    notes = forms.CharField(label="Verslag", required=False, widget=forms.Textarea(attrs={"rows": 6}))
    actions = forms.CharField(label="Afspraken", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, college: College, **kwargs):
        """Offer the agenda years of the college's institution."""
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices(college)

    @staticmethod
    def initial_for(review: Review) -> dict:
        """Return the form's initial data for an existing Q-review."""
        return {
            "year": review.year,
            "quadrimester": review.quadrimester,
            "held_on": review.held_on,
            "notes": review.notes,
            "actions": review.actions,
        }
