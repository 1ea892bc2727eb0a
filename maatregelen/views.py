"""Measures, evidence and Q-review pages of one college: thin views over maatregelen.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from agenda.forms import add_service_error
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


def _form_page(request, college, form, write, *, template: str, context: dict, success: str):
    """Run `write(**cleaned_data)` for a valid posted form, else render the form (400 when invalid)."""
    if request.method == "POST" and form.is_valid():
        try:
            write(**form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("maatregelen:college", code=college.code)
    return render(request, template, {"college": college, "form": form, **context}, status=400 if form.errors else 200)


def _write_args(request, college) -> dict:
    """Return the arguments every write gets: the user and the colleges they may write."""
    return {"user": request.user, "allowed_colleges": writable_colleges(request.user, college.institution)}


@login_required
@require_http_methods(["GET", "POST"])
def measure_add(request, code):
    """Add a measure of the college."""
    college = college_for(request, code)
    require_college_write(request.user, college)
    form = MeasureForm(request.POST or None, college=college)

    def write(**data):
        """Create the measure."""
        return services.measure_create(college=college, **data, **_write_args(request, college))

    return _form_page(
        request,
        college,
        form,
        write,
        template="maatregelen/measure_form.html",
        context={"measure": None},
        success="De maatregel is toegevoegd.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def measure_edit(request, code, pk):
    """Change a measure of the college."""
    college = college_for(request, code)
    require_college_write(request.user, college)
    measure = get_object_or_404(Measure, pk=pk, college=college)
    form = MeasureForm(request.POST or None, college=college, initial=MeasureForm.initial_for(measure))

    def write(**data):
        """Update the measure."""
        return services.measure_update(measure=measure, **data, **_write_args(request, college))

    return _form_page(
        request,
        college,
        form,
        write,
        template="maatregelen/measure_form.html",
        context={"measure": measure},
        success=f"De maatregel ‘{measure.title}’ is bijgewerkt.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def evidence_add(request, code):
    """Record noticeable evidence of the college."""
    college = college_for(request, code)
    require_college_write(request.user, college)
    form = EvidenceForm(request.POST or None, college=college)

    def write(**data):
        """Create the evidence."""
        return services.evidence_create(college=college, **data, **_write_args(request, college))

    return _form_page(
        request,
        college,
        form,
        write,
        template="maatregelen/evidence_form.html",
        context={},
        success="Het merkbare bewijs is vastgelegd.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_add(request, code):
    """Record a Q-review of the college."""
    college = college_for(request, code)
    require_college_write(request.user, college)
    form = ReviewForm(request.POST or None, college=college)

    def write(**data):
        """Create the Q-review."""
        return services.review_create(college=college, **data, **_write_args(request, college))

    return _form_page(
        request,
        college,
        form,
        write,
        template="maatregelen/review_form.html",
        context={"review": None},
        success="Het Q-gesprek is vastgelegd.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request, code, pk):
    """Change a Q-review of the college."""
    college = college_for(request, code)
    require_college_write(request.user, college)
    review = get_object_or_404(Review, pk=pk, college=college)
    form = ReviewForm(request.POST or None, college=college, initial=ReviewForm.initial_for(review))

    def write(**data):
        """Update the Q-review."""
        return services.review_update(review=review, **data, **_write_args(request, college))

    return _form_page(
        request,
        college,
        form,
        write,
        template="maatregelen/review_form.html",
        context={"review": review},
        success=f"Het Q-gesprek {review.year} Q{review.quadrimester} is bijgewerkt.",
    )
