"""Forms of the board pages: the date from which "Wat is er veranderd" lists changes."""

from django import forms
from django.utils import timezone

from rapportage.changelog import EARLIEST_SINCE


class ChangesSinceForm(forms.Form):
    """The start date of the change list (empty: the default, the last Q-gesprek), and optionally one college."""

    sinds = forms.DateField(
        label="Sinds",
        required=False,
        # The date input sends ISO dates; a typed Dutch date (31-12-2022) is understood too.
        input_formats=["%Y-%m-%d", "%d-%m-%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Vul een geldige datum in, bijvoorbeeld 2022-09-01 of 1-9-2022."},
    )

    college = forms.ChoiceField(label="College", required=False)

    def __init__(self, *args, colleges=(), **kwargs):
        """Offer the institution's colleges (`colleges`: College rows) beside "Alle colleges"."""
        super().__init__(*args, **kwargs)
        self.fields["college"].choices = [("", "Alle colleges")] + [(c.code, f"{c.code} {c.name}") for c in colleges]
        self.fields["college"].error_messages["invalid_choice"] = "Kies een college uit de lijst."

    def clean_sinds(self):
        """Refuse a date after today: nothing can have changed since then."""
        since = self.cleaned_data["sinds"]
        if since is not None and since > timezone.localdate():
            raise forms.ValidationError("Deze datum ligt in de toekomst; kies vandaag of een eerdere dag.")
        if since is not None and since < EARLIEST_SINCE:
            raise forms.ValidationError("Kies een datum vanaf 1 januari 2000; daarvoor is niets vastgelegd.")
        return since
