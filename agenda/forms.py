"""Forms of the team pages; they only gather input, agenda.services does the writing."""

from django import forms
from django.core.exceptions import ValidationError

from agenda.models import Team


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
        help_text="Uniek binnen de instelling, bijvoorbeeld 5100-ENT. Wordt gebruikt in Excel-bestanden.",
    )
    name = forms.CharField(label="Naam", max_length=Team._meta.get_field("name").max_length)
    active_from = YearField(
        label="Actief vanaf (jaar)", required=False, help_text="Leeg: het team bestond al vóór de agenda."
    )


class TeamUpdateForm(PageForm):
    """Rename a team or set the last year it is active."""

    name = forms.CharField(label="Naam", max_length=Team._meta.get_field("name").max_length)
    active_until = YearField(
        label="Actief tot en met (jaar)",
        required=False,
        help_text="Het laatste jaar waarin het team telt; vanaf het jaar erna is het inactief. Leeg: actief.",
    )
