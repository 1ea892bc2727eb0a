"""Forms of the upload page: choose a file; confirm a preview."""

from django import forms

ACCEPT = ",".join(
    [
        ".csv",
        ".txt",
        ".tsv",
        ".xlsx",
        "text/csv",
        "text/plain",
        "text/tab-separated-values",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
)


class UploadForm(forms.Form):
    """A benchmark file; the pipeline validates its content, size and format (contracts.md section 2)."""

    # allow_empty_file: an empty file is refused by the pipeline, with the same message on every channel.
    file = forms.FileField(
        label="Bestand",
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": ACCEPT, "aria-describedby": "upload-help"}),
        error_messages={"required": "Kies een bestand om te uploaden."},
    )


class ConfirmForm(forms.Form):
    """Confirm a preview: the fingerprint of the values the preview showed (uploads.Plan.fingerprint)."""

    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64, min_length=64)
    note = forms.CharField(
        label="Toelichting bij de gemarkeerde waarden",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "waarom kloppen deze waarden?"}),
    )
