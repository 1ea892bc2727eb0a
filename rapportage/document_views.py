"""The board's documents from the pages: a POST that builds the annual report or the mid-term pack and streams it.

Never generated on a GET (a dashboard visit must stay fast); the form's button shows "bezig..."
until the download starts (static/js/documents.js watches the cookie this view sets).
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from agenda.permissions import can_download_documents, current_institution
from rapportage import documents

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# The cookie the page's script waits for: set on the response, so it arrives with the file.
TOKEN_COOKIE = "document_token"


class DocumentForm(forms.Form):
    """Which document, in which format, for which year (the annual report only)."""

    soort = forms.ChoiceField(choices=[(documents.ANNUAL, "jaarverslag"), (documents.MIDTERM, "midterm-review")])
    formaat = forms.ChoiceField(choices=[("pdf", "PDF"), ("docx", "Word")])
    jaar = forms.IntegerField(required=False)
    token = forms.RegexField(regex=r"^[A-Za-z0-9]{1,40}$", required=False)

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.years = list(years)

    def clean(self):
        data = super().clean()
        if data.get("soort") == documents.ANNUAL and data.get("jaar") not in self.years:
            raise forms.ValidationError(
                f"Kies een jaar van {self.years[0]} tot en met {self.years[-1]} voor het jaarverslag."
            )
        return data


@login_required
@require_POST
def document_download(request):
    """Build the chosen document from the stored results and return it as a download."""
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    if not can_download_documents(request.user, institution):
        raise PermissionDenied("Alleen het bestuur en beleidsmedewerkers maken het jaarverslag en de midterm-review.")
    form = DocumentForm(request.POST, years=institution.years)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(e for errors in form.errors.values() for e in errors))
    kind, fmt = form.cleaned_data["soort"], form.cleaned_data["formaat"]
    document = documents.build(kind, institution, form.cleaned_data["jaar"])
    # Imported here: WeasyPrint loads pango, which no other page needs.
    from rapportage.docx_render import render_docx
    from rapportage.pdf_render import DocumentError, render_pdf

    try:
        content = render_pdf(document) if fmt == "pdf" else render_docx(document)
    except DocumentError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    # An institution code is free text (a quote, a letter outside Latin-1): Django quotes or encodes it (RFC 6266).
    response["Content-Disposition"] = content_disposition_header(True, f"{document.filename}.{fmt}")
    if form.cleaned_data.get("token"):
        response.set_cookie(TOKEN_COOKIE, form.cleaned_data["token"], max_age=300, samesite="Lax")
    return response
