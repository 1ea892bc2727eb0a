"""Forms of the result pages; the grid itself is parsed by invoer.grid (its cells are dynamic)."""

from django import forms

from agenda.forms import PageForm


class GridUploadForm(PageForm):
    """An Excel file (the grid export, changed) to upload back for one college."""

    file = forms.FileField(
        label="Bestand",
        help_text="Het Excel-bestand van ‘Exporteren naar Excel’ (.xlsx), met één blad per jaar. CSV kan ook.",
        widget=forms.FileInput(
            attrs={"accept": ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"}
        ),
    )
