"""Forms of the board pages: the date from which "Wat is er veranderd" lists changes, and one's subscription."""

from django import forms
from django.utils import timezone

from rapportage.changelog import EARLIEST_SINCE
from rapportage.choices import Frequency, PackContent


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


class SubscriptionForm(forms.Form):
    """A user's own subscription: how often, what, and whether flips are alerted."""

    active = forms.BooleanField(label="Stuur mij het overzicht per e-mail", required=False)
    frequency = forms.ChoiceField(label="Hoe vaak", choices=Frequency.choices, widget=forms.RadioSelect)
    content = forms.ChoiceField(label="Inhoud", choices=PackContent.choices, widget=forms.RadioSelect)
    flip_alerts = forms.BooleanField(label="Stuur mij een melding zodra een oordeel omslaat", required=False)

    def __init__(self, *args, whole_institution: bool = True, **kwargs):
        """Offer the workbook only to readers of the whole institution (notifications.subscription_save says why)."""
        super().__init__(*args, **kwargs)
        if not whole_institution:
            self.fields["content"].choices = [(PackContent.SUMMARY, PackContent.SUMMARY.label)]
        self.fields["frequency"].error_messages["invalid_choice"] = "Kies hoe vaak u het overzicht wilt ontvangen."
        self.fields["content"].error_messages["invalid_choice"] = "Kies een inhoud uit de lijst."
