"""Measures, evidence and Q-review pages of one college: thin views over maatregelen.services."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from agenda.forms import PageForm, add_service_error
from agenda.permissions import can_write_college, require_college_write, writable_colleges
from agenda.views import college_for
from maatregelen import services
from maatregelen.forms import EvidenceForm, MeasureForm, ReviewForm
from maatregelen.models import Evidence, Measure, Review


@login_required
def college(request, code):
    """Show the college's measures (and the ROC-wide ones), its noticeable evidence and its Q-reviews."""
    college = college_for(request, code)
    measures = (
        Measure.objects.filter(institution=college.institution)
        .filter(Q(college=college) | Q(college__isnull=True))
        .select_related("theme", "college")
        .prefetch_related("indicators")
    )
    context = {
        "college": college,
        "own_measures": [m for m in measures if m.college_id == college.pk],
        "roc_measures": [m for m in measures if m.college_id is None],
        "evidence": Evidence.objects.filter(college=college).select_related("theme", "team", "created_by"),
        "reviews": Review.objects.filter(college=college).select_related("created_by"),
        "writable": can_write_college(request.user, college),
    }
    return render(request, "maatregelen/college.html", context)


@dataclass(frozen=True)
class FormPage:
    """One form page of a college, so every page shares the same checks, write and answer."""

    name: str  # "measure": the record's name in the template and the update; template maatregelen/measure_form.html
    form: type[PageForm]
    write: Callable  # a maatregelen.services function
    success: str  # may name the record as loaded, before the write: "{record.title}"
    model: type[Model] | None = None  # set on an edit page: the record is looked up within the college


MEASURE_ADD = FormPage("measure", MeasureForm, services.measure_create, "De maatregel is toegevoegd.")
MEASURE_EDIT = FormPage(
    "measure", MeasureForm, services.measure_update, "De maatregel ‘{record.title}’ is bijgewerkt.", Measure
)
EVIDENCE_ADD = FormPage("evidence", EvidenceForm, services.evidence_create, "Het merkbare bewijs is vastgelegd.")
REVIEW_ADD = FormPage("review", ReviewForm, services.review_create, "Het Q-gesprek is vastgelegd.")
REVIEW_EDIT = FormPage(
    "review",
    ReviewForm,
    services.review_update,
    "Het Q-gesprek {record.year} Q{record.quadrimester} is bijgewerkt.",
    Review,
)


@login_required
@require_http_methods(["GET", "POST"])
def form_page(request, code, pk=None, *, page: FormPage):
    """Show or save one form page of the college: writers only, 400 when the form or the service refuses."""
    college = college_for(request, code)
    require_college_write(request.user, college)
    record = get_object_or_404(page.model, pk=pk, college=college) if page.model else None
    form = page.form(request.POST or None, college=college, initial=page.form.initial_for(record) if record else None)
    if request.method == "POST" and form.is_valid():
        success = page.success.format(record=record)
        target = {page.name: record} if record else {"college": college}
        allowed = writable_colleges(request.user, college.institution)
        try:
            page.write(**target, **form.cleaned_data, user=request.user, allowed_colleges=allowed)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("maatregelen:college", code=college.code)
    context = {"college": college, "form": form, page.name: record}
    return render(request, f"maatregelen/{page.name}_form.html", context, status=400 if form.errors else 200)
