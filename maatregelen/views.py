"""Measures, evidence and Q-cycle pages: thin views over maatregelen.services.

Readers (the board too) see every page; write forms and links appear only for who may write the
unit, and the services refuse the others anyway.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from agenda.forms import PageForm, add_service_error
from agenda.permissions import (
    can_write_college,
    current_institution,
    require_college_write,
    require_policy,
    require_read,
    writable_colleges,
)
from agenda.views import college_for
from maatregelen import page_reads, services, versions
from maatregelen.choices import ReviewLevel
from maatregelen.forms import ActionItemForm, CheckInForm, EvidenceForm, FollowUpForm, MeasureForm, ReviewForm
from maatregelen.models import ActionFollowUp, ActionItem, CheckIn, Evidence, Measure, Review


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
        "evidence": Evidence.objects.filter(college=college).select_related("theme", "team", "indicator", "created_by"),
        "reviews": Review.objects.filter(college=college)
        .select_related("college", "team", "created_by")
        .prefetch_related("action_items", "check_ins"),
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
    to_record: bool = False  # after saving, show the record's own page (a Q-gesprek) instead of the college's


MEASURE_ADD = FormPage("measure", MeasureForm, services.measure_create, "De maatregel is toegevoegd.")
MEASURE_EDIT = FormPage(
    "measure", MeasureForm, services.measure_update, "De maatregel ‘{record.title}’ is bijgewerkt.", Measure
)
EVIDENCE_ADD = FormPage("evidence", EvidenceForm, services.evidence_create, "Het merkbare bewijs is vastgelegd.")
EVIDENCE_EDIT = FormPage(
    "evidence", EvidenceForm, services.evidence_update, "Het merkbare bewijs ‘{record.title}’ is bijgewerkt.", Evidence
)
REVIEW_ADD = FormPage("review", ReviewForm, services.review_create, "Het Q-gesprek is vastgelegd.", to_record=True)
REVIEW_EDIT = FormPage(
    "review",
    ReviewForm,
    services.review_update,
    "Het Q-gesprek {record.year} Q{record.quadrimester} is bijgewerkt.",
    Review,
    to_record=True,
)


def _save_edit(request, form, write, record, name: str, **who):
    """Save an edit form through its service, comparing with what the page showed; return (saved, StaleEdit).

    A ValidationError goes onto the form (saved None); a StaleEdit is returned, nothing saved.
    """
    data = dict(form.cleaned_data)
    seen = page_reads.seen(request, record, data.pop("version", ""))
    try:
        saved = write(**{name: record}, **data, seen=seen, **who)
    except versions.StaleEdit as exc:
        return None, exc
    except ValidationError as exc:
        add_service_error(form, exc)
        return None, None
    page_reads.note_saved(request, saved, seen, data)
    return saved, None


def _status(form, stale) -> int:
    """Return a form page's status: 400 when the form or the service refused, 409 when the page was stale."""
    return 400 if form.errors else 409 if stale else 200


@login_required
@require_http_methods(["GET", "POST"])
def form_page(request, code, pk=None, *, page: FormPage):
    """Show or save one form page of the college: writers only, 400 when the form or the service refuses.

    An edit page answers 409 when the record changed since the page was shown in a field the user
    changed too: nothing is saved and the form shows the current record (domain.md, "No lost updates").
    """
    college = college_for(request, code)
    require_college_write(request.user, college)
    record = get_object_or_404(page.model, pk=pk, college=college) if page.model else None
    initial = page_reads.edit_initial(request, page.form, record) if record and request.method == "GET" else None
    form = page.form(request.POST or None, college=college, initial=initial)
    stale = None
    if request.method == "POST" and form.is_valid():
        success = page.success.format(record=record)
        allowed = writable_colleges(request.user, college.institution)
        who = {"user": request.user, "allowed_colleges": allowed}
        if record:
            saved, stale = _save_edit(request, form, page.write, record, page.name, **who)
            if stale:
                form = page.form(college=college, initial=page_reads.stale_initial(request, page.form, stale))
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                saved = page.write(college=college, **data, **who)
            except ValidationError as exc:
                add_service_error(form, exc)
                saved = None
        if saved is not None:
            messages.success(request, success)
            if page.to_record:
                return redirect("maatregelen:review", pk=saved.pk)
            return redirect("maatregelen:college", code=college.code)
    context = {"college": college, "form": form, page.name: record, "stale": stale}
    return render(request, f"maatregelen/{page.name}_form.html", context, status=_status(form, stale))


@login_required
@require_http_methods(["GET", "POST"])
def evidence_delete(request, code, pk):
    """Ask to confirm, then delete the college's evidence (writers only; history keeps it).

    The confirmation carries the version it shows, as an edit page does: when the evidence changed
    since (its text, link, title...), nothing is deleted and the page answers 409 with the evidence
    as it is now and what changed, so nobody deletes a newer version unseen (domain.md, "No lost updates").
    """
    college = college_for(request, code)
    require_college_write(request.user, college)
    evidence = get_object_or_404(Evidence.objects.select_related("theme", "indicator"), pk=pk, college=college)
    stale = None
    if request.method == "POST":
        allowed = writable_colleges(request.user, college.institution)
        seen = page_reads.seen(request, evidence, request.POST.get("version", ""))
        try:
            services.evidence_delete(evidence=evidence, seen=seen, user=request.user, allowed_colleges=allowed)
        except versions.StaleEdit as exc:
            stale, evidence = exc, exc.record
        except ValidationError as exc:  # deleted by someone else meanwhile (versions.lock)
            messages.info(request, " ".join(exc.messages))
            return redirect("maatregelen:college", code=college.code)
        else:
            messages.success(request, f"Het merkbare bewijs ‘{evidence.title}’ is verwijderd.")
            return redirect("maatregelen:college", code=college.code)
    context = {
        "college": college,
        "evidence": evidence,
        "version": page_reads.remember(request, evidence),
        "stale": stale,
    }
    return render(request, "maatregelen/evidence_delete.html", context, status=409 if stale else 200)


def _institution(request):
    """Return the user's institution after checking read access (404 when the user has none)."""
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    require_read(request.user, institution)
    return institution


@login_required
def institution_reviews(request):
    """Show the institution's own Q-gesprekken and the number per college, for the board and everyone."""
    institution = _institution(request)
    reviews = Review.objects.filter(institution=institution)
    colleges = []
    for college in institution.colleges.order_by("code"):
        of_college = [r for r in reviews if r.college_id == college.pk]
        latest = max(of_college, key=lambda r: r.period_key, default=None)
        colleges.append({"college": college, "count": len(of_college), "latest": latest})
    context = {
        "institution": institution,
        "reviews": reviews.filter(level=ReviewLevel.INSTITUTION).prefetch_related("action_items", "check_ins"),
        "colleges": colleges,
        "writable": writable_colleges(request.user, institution) is None,
    }
    return render(request, "maatregelen/institution_reviews.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def institution_review_form(request, pk=None):
    """Record or change a Q-gesprek of the institution itself (policy staff); 409 when the page was stale."""
    institution = _institution(request)
    require_policy(request.user, institution)
    review = get_object_or_404(Review, pk=pk, institution=institution, level=ReviewLevel.INSTITUTION) if pk else None
    initial = page_reads.edit_initial(request, ReviewForm, review) if review and request.method == "GET" else None
    form = ReviewForm(request.POST or None, college=None, institution=institution, initial=initial)
    stale = None
    if request.method == "POST" and form.is_valid():
        if review:
            saved, stale = _save_edit(request, form, services.review_update, review, "review", user=request.user)
            if stale:
                initial = page_reads.stale_initial(request, ReviewForm, stale)
                form = ReviewForm(college=None, institution=institution, initial=initial)
        else:
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                saved = services.review_create(institution=institution, **data, user=request.user)
            except ValidationError as exc:
                add_service_error(form, exc)
                saved = None
        if saved is not None:
            messages.success(request, "Het Q-gesprek van de instelling is vastgelegd.")
            return redirect("maatregelen:review", pk=saved.pk)
    context = {"institution": institution, "form": form, "review": review, "stale": stale}
    return render(request, "maatregelen/institution_review_form.html", context, status=_status(form, stale))


def _review_forms(review: Review, data=None, submitted: str = "", kept: dict | None = None) -> dict:
    """Return the detail page's forms; only the one named `submitted` is bound to the posted data.

    Each form carries the versions of what it shows (page_reads). `kept`: after a refused save
    (409), the user's values for the submitted form, shown again over what is stored now, with
    the versions of now, so saving again is the user's decision.
    """
    institution = review.institution
    follow = services.actions_to_follow_up(review)
    follow += _posted_action(review, submitted, follow)
    done_here = {f.action_id: f for f in review.follow_ups.all()}
    follow_ups = []
    for action in follow:
        mine = done_here.get(action.pk)
        name = f"followup-{action.pk}"
        initial = {"status": mine.status, "note": mine.note} if mine else {"status": action.status}
        initial |= {"version": page_reads.shown(mine), "action_version": versions.token(action)}
        initial |= kept if kept is not None and submitted == name else {}
        bound = data if submitted == name and kept is None else None
        form = FollowUpForm(bound, prefix=f"opvolging-{action.pk}", initial=initial)
        follow_ups.append({"action": action, "form": form, "follow_up": mine})
    checkin_initial = {"version": page_reads.listed(review.check_ins.all(), lambda c: c.indicator_id)}
    checkin_initial |= kept if kept is not None and submitted == "checkin" else {}
    return {
        "follow_ups": follow_ups,
        "action_form": ActionItemForm(
            data if submitted == "action" else None, institution=institution, prefix="actiepunt"
        ),
        "checkin_form": CheckInForm(
            data if submitted == "checkin" and kept is None else None,
            institution=institution,
            prefix="checkin",
            initial=checkin_initial,
        ),
    }


def _posted_action(review: Review, submitted: str, follow: list) -> list:
    """Return the earlier action of the unit a follow-up was posted for when it left the list since the page showed it.

    Someone may have set it to done meanwhile; the post is then compared with that (the service
    keeps or refuses it), not answered with a 404 that loses the user's note.
    """
    pk = submitted.removeprefix("followup-")
    # isascii: '²'.isdigit() holds, and int('²') raises.
    if (
        not submitted.startswith("followup-")
        or not (pk.isascii() and pk.isdigit())
        or any(a.pk == int(pk) for a in follow)
    ):
        return []
    earlier = Q(review__year__lt=review.year) | Q(
        review__year=review.year, review__quadrimester__lt=review.quadrimester
    )
    rows = ActionItem.objects.filter(earlier, pk=int(pk), review__in=review.same_unit())
    return list(rows.select_related("review", "indicator"))


def _review_for(request, pk) -> Review:
    """Return a review of the user's institution after checking read access (404 for another institution)."""
    institution = _institution(request)
    queryset = Review.objects.select_related("institution", "college", "team", "created_by")
    return get_object_or_404(queryset, pk=pk, institution=institution)


@login_required
@require_http_methods(["GET", "POST"])
def review(request, pk):
    """Show a Q-gesprek with its actions, the follow-up of earlier actions and the check-ins; writers add to it.

    One page, three small forms (a hidden `form` field says which one is sent), so the conversation is
    recorded where it is read; each save returns to the page, an invalid one shows it again with 400.
    """
    review = _review_for(request, pk)
    allowed = writable_colleges(request.user, review.institution)
    writable = services.review_writable(allowed, review)
    submitted = request.POST.get("form", "") if request.method == "POST" else ""
    if request.method == "POST" and not writable:
        raise PermissionDenied("Geen schrijfrechten voor dit Q-gesprek.")
    forms = _review_forms(review, request.POST, submitted)
    stale = None
    if request.method == "POST":
        try:
            saved = _save_review_form(request, review, forms, submitted, allowed)
        except (versions.StaleEdit, _Gone) as exc:
            # Recorded, changed or deleted since the page was shown: nothing saved; the page shows what is
            # stored now, the user's values kept in the form (domain.md, "No lost updates").
            saved, stale = "", exc
            forms = _review_forms(review, request.POST, submitted, kept=_kept_values(forms, submitted))
        if saved:
            messages.success(request, saved)
            return redirect("maatregelen:review", pk=review.pk)
    context = {
        "review": review,
        "college": review.college,
        "writable": writable,
        "actions": review.action_items.select_related("indicator").prefetch_related("follow_ups__review"),
        "check_ins": review.check_ins.select_related("indicator", "indicator__theme"),
        "edit_url": _edit_url(review),
        "stale": stale,
        "stale_for": submitted if stale else "",
        "stale_keeps_yours": True,  # these forms add to a list: the list shows what is stored now
        **forms,
    }
    status = 409 if stale else 400 if request.method == "POST" else 200
    return render(request, "maatregelen/review.html", context, status=status)


def _kept_values(forms: dict, submitted: str) -> dict:
    """Return the user's values of the submitted form (its versions left out: the page's new ones count)."""
    if submitted == "checkin":
        form = forms["checkin_form"]
    else:
        form = next(f["form"] for f in forms["follow_ups"] if f"followup-{f['action'].pk}" == submitted)
    return {k: v for k, v in form.cleaned_data.items() if k not in ("version", "action_version")}


def _edit_url(review: Review) -> str:
    """Return the address of the review's edit form (the college's, or the institution's)."""
    if review.college_id:
        return reverse("maatregelen:review_edit", args=[review.college.code, review.pk])
    return reverse("maatregelen:institution_review_edit", args=[review.pk])


def _save_review_form(request, review: Review, forms: dict, submitted: str, allowed) -> str:
    """Save the submitted form of the review page through the service; return the message, or '' when refused."""
    who = {"user": request.user, "allowed_colleges": allowed}
    if submitted == "action":
        form = forms["action_form"]
        write = partial(services.action_create, review=review, **who)
        message = "Het actiepunt is vastgelegd."
    elif submitted == "checkin":
        form = forms["checkin_form"]

        def write(*, version, indicator, **data):
            # The check-in the page listed for this indicator, or none (Read.nothing).
            seen = page_reads.read_listed(version, indicator.pk, CheckIn)
            return services.checkin_record(review=review, indicator=indicator, seen=seen, **data, **who)

        message = "De check-in is vastgelegd."
    elif submitted.startswith("followup-"):
        entry = next((f for f in forms["follow_ups"] if f"followup-{f['action'].pk}" == submitted), None)
        if entry is None:
            raise Http404("Dit actiepunt wordt in dit Q-gesprek niet opgevolgd.")
        form, action = entry["form"], entry["action"]

        def write(*, version, action_version, **data):
            return services.action_follow_up(
                action=action,
                review=review,
                seen=page_reads.read(version, ActionFollowUp),
                action_seen=page_reads.read(action_version, ActionItem),
                **data,
                **who,
            )

        message = "De opvolging van het actiepunt is vastgelegd."
    else:
        raise Http404("Onbekend formulier.")
    if form.is_valid():
        try:
            saved = write(**form.cleaned_data)
        except ValidationError as exc:
            if exc.code == services.GONE:  # the check-in or follow-up the page listed was deleted since
                raise _Gone(exc.messages[0]) from None
            add_service_error(form, exc)
        else:
            chosen = form.cleaned_data.get("status")
            if submitted.startswith("followup-") and saved.status != chosen:
                # The user left the status as shown and someone changed it since: theirs was kept.
                messages.info(
                    request, f"Intussen door een ander gewijzigd en behouden: status ({saved.get_status_display()})."
                )
            return message
    return ""


class _Gone(Exception):
    """What the review page listed was deleted since: refused like a stale save (409), the user's values kept.

    Shaped as versions.StaleEdit for the page's refusal box; the form then carries the versions of
    now, so saving again records it anew (a bound form would repeat the refusal forever).
    """

    deleting = False
    lines = ()

    def __init__(self, summary: str):
        super().__init__(summary)
        self.summary = summary
