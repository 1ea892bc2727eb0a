"""Forms of the team and herijking pages; they only gather input, agenda.services does the writing."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator

from agenda.choices import AmbitionType, Effect
from agenda.models import College, Factor, Indicator, Team, Theme
from agenda.selectors import revisable_indicators
from kern.rules import decimals_problem, dutch


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: per field where the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class PageForm(forms.Form):
    """A form of the college pages: labels without the English-style colon."""

    def __init__(self, *args, **kwargs):
        """Drop the label suffix; the pages put labels above their fields."""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class YearField(forms.IntegerField):
    """A year between 1990 and 2100, typed as a number."""

    def __init__(self, **kwargs):
        """Set the bounds of a plausible year and a narrow number input."""
        kwargs.setdefault("min_value", 1990)
        kwargs.setdefault("max_value", 2100)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"class": "year"}))
        super().__init__(**kwargs)


class TeamCreateForm(PageForm):
    """A new team of the college."""

    code = forms.CharField(
        label="Teamcode",
        max_length=Team._meta.get_field("code").max_length,
        help_text=(
            "Uniek binnen de instelling, bijvoorbeeld 5100-ENT: letters, cijfers, '-', '_' en '.'. "
            "Wordt gebruikt in Excel-bestanden."
        ),
    )
    name = forms.CharField(label="Naam", max_length=Team._meta.get_field("name").max_length)
    active_from = YearField(
        label="Actief vanaf (jaar)", required=False, help_text="Leeg: het team bestond al vóór de agenda."
    )


class TeamUpdateForm(PageForm):
    """Rename a team or set the last year it is active; it carries the version of the team it showed (kern.versions)."""

    name = forms.CharField(label="Naam", max_length=Team._meta.get_field("name").max_length)
    version = forms.CharField(label="Versie", widget=forms.HiddenInput, required=False, max_length=2000)
    active_until = YearField(
        label="Actief tot en met (jaar)",
        required=False,
        help_text="Het laatste jaar waarin het team telt; vanaf het jaar erna is het inactief. Leeg: actief.",
    )


def _year_select(institution) -> forms.Select:
    """Return a select of the agenda period's years with an empty first choice."""
    return forms.Select(choices=[("", "Kies een jaar")] + [(year, year) for year in institution.years])


class RevisionForm(PageForm):
    """What every herijking asks: the first year it applies and the reason (agenda ch. 12).

    The year is a number shown as a select of the period; a year outside the period and an empty
    reason are refused by agenda.services with their Dutch message (one home per rule).
    """

    from_year = forms.IntegerField(
        label="Vanaf (jaar)",
        help_text="Het eerste jaar waarin de herijking geldt; eerdere jaren houden wat ze hadden.",
    )
    reason = forms.CharField(
        label="Reden",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Waarom dit verandert, bijvoorbeeld het besluit van de herijking in 2020.",
    )

    def __init__(self, *args, institution, **kwargs):
        """Offer the years of the institution's agenda period."""
        super().__init__(*args, **kwargs)
        self.institution = institution
        self.fields["from_year"].widget = _year_select(institution)


class ApplicabilityForm(RevisionForm):
    """The colleges an indicator applies to from a year on (domain.md, "Which teams and colleges count")."""

    indicator = forms.ModelChoiceField(
        label="Indicator", queryset=Indicator.objects.none(), to_field_name="code", empty_label="Kies een indicator"
    )
    colleges = forms.ModelMultipleChoiceField(
        label="Geldt voor de colleges",
        queryset=College.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Vink de colleges aan die de opleidingen van deze indicator aanbieden.",
    )
    field_order = ["indicator", "from_year", "colleges", "reason"]

    def __init__(self, *args, institution, **kwargs):
        """Offer the institution's indicators measured per college, and all its colleges."""
        super().__init__(*args, institution=institution, **kwargs)
        self.fields["indicator"].queryset = revisable_indicators(institution)
        self.fields["indicator"].label_from_instance = lambda indicator: f"{indicator.code} {indicator.name}"
        self.fields["colleges"].queryset = College.objects.filter(institution=institution).order_by("code")
        self.fields["colleges"].label_from_instance = lambda college: (
            f"{college.code} {college.name}" + ("" if college.active else " (niet actief)")
        )


_DECIMAL = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_SIGNED_DECIMAL = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


class DecimalCommaField(forms.CharField):
    """A non-negative number typed the Dutch way (6,5; a point is read as a decimal point too), cleaned to a Decimal.

    Not Django's localized DecimalField: in Dutch it reads "6.5" as 65 (the point groups thousands).
    Decimals beyond what storage keeps are refused with kern.rules' message (one home).
    """

    invalid_message = "Geen getal; schrijf bijvoorbeeld 6,5 of 70."
    pattern = _DECIMAL

    def __init__(self, **kwargs):
        """Set a narrow text input with a decimal keyboard on phones."""
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "percent"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        """Show an initial Decimal with a decimal comma; typed text stays as typed."""
        return dutch(value) if isinstance(value, Decimal) else value

    def compact(self, text: str) -> str:
        """Return the typed text without spaces (a subclass strips its unit)."""
        return re.sub(r"\s+", "", text)

    def to_python(self, value):
        """Return the number as a Decimal, or None when empty."""
        compact = self.compact(super().to_python(value) or "")
        if not compact:
            return None
        if not self.pattern.fullmatch(compact):
            raise ValidationError(self.invalid_message)
        number = Decimal(compact.replace(",", "."))
        if not number:
            number = number.copy_abs()  # "-0" is stored as 0, as every value channel stores it
        problem = decimals_problem(number, compact)
        if problem:
            raise ValidationError(problem)
        return number


class AdminDecimalField(DecimalCommaField):
    """A model's decimal on an admin page, read as the policy pages read it: 6,9 and 6.9 are both 6.9.

    Django's own form field refused "6,9" ("Voer een getal in") while every page beside it
    takes a decimal comma. A minus sign is read, so that the model's own rules answer a
    negative value with the unit's range ("Waarde -20 past niet bij de eenheid ...") rather
    than "Geen getal"; the model's digits are checked by Django's DecimalValidator.
    """

    pattern = _SIGNED_DECIMAL

    def __init__(self, *, max_digits=None, decimal_places=None, **kwargs):
        """Accept what a model DecimalField hands its form field, and keep its digits as a validator."""
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)
        if max_digits is not None:
            self.validators.append(DecimalValidator(max_digits, decimal_places))


class PercentField(DecimalCommaField):
    """A percentage typed the Dutch way (12,5 or 12,5 %), cleaned to a Decimal between 0 and 100."""

    invalid_message = "Geen percentage; schrijf bijvoorbeeld 20 of 12,5."

    def compact(self, text: str) -> str:
        """Return the typed text without spaces and without a trailing %."""
        return super().compact(text).removesuffix("%")

    def to_python(self, value):
        """Return the percentage as a Decimal, or None when empty."""
        share = super().to_python(value)
        if share is not None and share > 100:
            raise ValidationError("Een aandeel ligt tussen 0 en 100 %.")
        return share


class ThemeShareForm(RevisionForm):
    """A theme's share of the budget from a year on (agenda ch. 12)."""

    theme = forms.ModelChoiceField(
        label="Thema", queryset=Theme.objects.none(), to_field_name="code", empty_label="Kies een thema"
    )
    budget_share_pct = PercentField(
        label="Aandeel in het budget (%)",
        help_text="Bijvoorbeeld 20 of 12,5. De aandelen van alle thema's horen samen 100 % te zijn.",
    )
    field_order = ["theme", "from_year", "budget_share_pct", "reason"]

    def __init__(self, *args, institution, **kwargs):
        """Offer the institution's themes."""
        super().__init__(*args, institution=institution, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(institution=institution).order_by("position", "code")
        self.fields["theme"].label_from_instance = lambda theme: f"{theme.code} {theme.name}"


class BaselineForm(RevisionForm):
    """An indicator's baseline (nulmeting) from a year on (herijking, agenda ch. 12): its year and value, with a reason.

    Whether the value fits the indicator's unit is BaselineRevision.clean's rule, as for the
    agenda file's revisions (agenda.schema); the service applies it and its message lands on
    `baseline_value`.
    """

    indicator = forms.ModelChoiceField(
        label="Indicator", queryset=Indicator.objects.none(), to_field_name="code", empty_label="Kies een indicator"
    )
    baseline_year = YearField(
        label="Jaar van de nulmeting",
        help_text="Het jaar waarmee teams en colleges worden vergeleken, bijvoorbeeld 2017.",
    )
    baseline_value = DecimalCommaField(
        label="Nulmeting van de instelling",
        required=False,
        help_text="Bijvoorbeeld 6,7 of 85,9. Leeg: de waarde van de instelling in het jaar van de nulmeting.",
    )
    field_order = ["indicator", "from_year", "baseline_year", "baseline_value", "reason"]

    def __init__(self, *args, institution, **kwargs):
        """Offer the institution's indicators."""
        super().__init__(*args, institution=institution, **kwargs)
        self.fields["indicator"].queryset = Indicator.objects.filter(institution=institution).order_by(
            "position", "code"
        )
        self.fields["indicator"].label_from_instance = lambda indicator: f"{indicator.code} {indicator.name}"
        self.fields[
            "from_year"
        ].help_text = "Het eerste jaar dat met deze nulmeting wordt beoordeeld; eerdere jaren houden de hunne."


class AmbitionForm(RevisionForm):
    """An indicator's ambition from a year on (herijking, agenda ch. 12): type, target and margin, with a reason."""

    indicator = forms.ModelChoiceField(
        label="Indicator", queryset=Indicator.objects.none(), to_field_name="code", empty_label="Kies een indicator"
    )
    until_year = forms.IntegerField(
        label="Tot en met (jaar)",
        help_text="Het laatste jaar waarvoor deze ambitie geldt; latere jaren houden hun eigen ambitie.",
    )
    type = forms.ChoiceField(label="Soort ambitie", choices=AmbitionType.choices)
    target = DecimalCommaField(
        label="Streefcijfer",
        required=False,
        help_text="Alleen bij de soort streefcijfer, bijvoorbeeld 6,8 of 70.",
    )
    tolerance = DecimalCommaField(
        label="Marge",
        required=False,
        help_text="Hoeveel een team onder het streefcijfer mag blijven en toch bijdraagt; leeg is 0.",
    )
    indicative = forms.BooleanField(
        label="Indicatief",
        required=False,
        help_text="Voorlopig, tot de herijking haar vaststelt (zoals de ambities van 2022).",
    )
    field_order = ["indicator", "from_year", "until_year", "type", "target", "tolerance", "indicative", "reason"]

    def __init__(self, *args, institution, **kwargs):
        """Offer the institution's indicators and the period's years."""
        super().__init__(*args, institution=institution, **kwargs)
        self.fields["indicator"].queryset = Indicator.objects.filter(institution=institution).order_by(
            "position", "code"
        )
        self.fields["indicator"].label_from_instance = lambda indicator: f"{indicator.code} {indicator.name}"
        self.fields["until_year"].widget = _year_select(institution)
        self.fields[
            "from_year"
        ].help_text = "Het eerste jaar waarvoor deze ambitie geldt; eerdere jaren houden de hunne."

    def clean(self):
        """Read an empty margin as 0.

        Whether the target fits the type and the indicator's unit is Ambition.clean's rule, which
        the service applies to every channel (page, admin, loader); its message lands on `target`.
        """
        data = super().clean()
        if data.get("tolerance") is None:
            data["tolerance"] = Decimal(0)
        return data


class FactorForm(PageForm):
    """An explanatory factor of an indicator (verklaarbaar, agenda ch. 4.4): added or changed with a reason."""

    indicator = forms.ModelChoiceField(
        label="Indicator", queryset=Indicator.objects.none(), to_field_name="code", empty_label="Kies een indicator"
    )
    factor = forms.ModelChoiceField(
        label="Bestaande factor",
        queryset=Factor.objects.none(),
        required=False,
        empty_label="Nieuwe factor toevoegen",
        help_text="Kies een factor om haar te wijzigen, of laat leeg om een nieuwe toe te voegen.",
    )
    name = forms.CharField(label="Factor", max_length=Factor._meta.get_field("name").max_length)
    effect = forms.ChoiceField(label="Verwacht effect", choices=Effect.choices)
    description = forms.CharField(label="Toelichting", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label="Reden",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Waarom deze factor erbij komt of verandert.",
    )

    def __init__(self, *args, institution, **kwargs):
        """Offer the institution's indicators and their factors."""
        super().__init__(*args, **kwargs)
        self.institution = institution
        self.fields["indicator"].queryset = Indicator.objects.filter(institution=institution).order_by(
            "position", "code"
        )
        self.fields["indicator"].label_from_instance = lambda indicator: f"{indicator.code} {indicator.name}"
        self.fields["factor"].queryset = Factor.objects.filter(indicator__institution=institution).select_related(
            "indicator"
        )
        self.fields["factor"].label_from_instance = lambda factor: f"{factor.indicator.code}: {factor.name}"

    def clean(self):
        """Refuse a factor of another indicator than the one chosen."""
        data = super().clean()
        factor, indicator = data.get("factor"), data.get("indicator")
        if factor is not None and indicator is not None and factor.indicator_id != indicator.pk:
            self.add_error("factor", f"Deze factor hoort bij {factor.indicator.code}, niet bij {indicator.code}.")
        return data
