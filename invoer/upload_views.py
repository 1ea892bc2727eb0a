"""Upload pages for policy staff: upload, dry-run preview with the verdicts it would flip, confirm or cancel.

Thin views (style.md): check that the user is policy staff, call the pipeline in
invoer.uploads, render. Only policy staff see these pages; everyone else gets 403.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from agenda.permissions import (
    can_write_college,
    can_write_values,
    current_institution,
    is_policy,
    require_policy,
    value_write_scope,
)
from indicatoren.choices import UploadStatus
from indicatoren.models import ContextValue, Measurement, Upload
from invoer.upload_forms import ConfirmForm, UploadForm
from invoer.uploads import (
    KIND_CHANGED,
    KIND_NEW,
    NoteMissing,
    UploadBusy,
    UploadRejected,
    UploadStale,
    error_listing,
    rejected_error_dicts,
    upload_cancel,
    upload_confirm,
    upload_plan,
    upload_preview,
    verdict_effects,
)
from rapportage.models import VerdictChange

UPLOADS_PER_PAGE = 25
CHANGES_PER_PAGE = 100
CONTEXT_SHOWN = 500  # comparison and breakdown rows listed on one page (a file holds tens, not thousands)
KINDS = {"alle": (KIND_NEW, KIND_CHANGED), "nieuw": (KIND_NEW,), "gewijzigd": (KIND_CHANGED,)}
KIND_CHOICES = [("alle", "Nieuw en gewijzigd"), ("nieuw", "Alleen nieuw"), ("gewijzigd", "Alleen gewijzigd")]


def _institution(request):
    """Return the user's institution, or raise PermissionDenied unless the user is its policy staff."""
    institution = current_institution(request.user)
    if institution is None:
        raise PermissionDenied("Geen instelling.")
    require_policy(request.user, institution)
    return institution


def _limits() -> dict:
    """Return the upload limit for the page's explanation."""
    megabytes = f"{settings.UPLOAD_MAX_BYTES / (1024 * 1024):g}".replace(".", ",")
    return {"max_megabytes": megabytes}


@login_required
@require_http_methods(["GET", "POST"])
def uploads(request):
    """Show the upload form and earlier uploads; a posted file is checked and shown as a preview."""
    institution = _institution(request)
    form = UploadForm()
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            file = form.cleaned_data["file"]
            try:
                upload = upload_preview(
                    institution=institution, data=file, filename=file.name, user=request.user, channel="web"
                )
            except UploadRejected as exc:
                # 400 with the first errors and their count; the rejected attempt is on record, no value was touched.
                return _detail(request, exc.upload, errors=rejected_error_dicts(exc), status=400)
            except UploadBusy as exc:
                return _busy(request, exc)
            return redirect("uploads:detail", pk=upload.pk)
        status = 400
    page = Paginator(
        Upload.objects.filter(institution=institution).select_related(
            "uploaded_by", "duplicate_of", "recompute_run", "scope_college"
        ),
        UPLOADS_PER_PAGE,
    ).get_page(request.GET.get("pagina"))
    for upload in page:
        # The record keeps the first errors and a note counting the rest (error_dicts).
        upload.error_total = error_listing(upload.errors)["error_total"]
    return render(request, "uploads/list.html", {"form": form, "page": page, **_limits()}, status=status)


def _upload_for(request, pk) -> Upload:
    """Return an upload the user may see and decide on: policy staff all, a director their college's grid uploads."""
    institution = current_institution(request.user)
    if institution is None:
        raise PermissionDenied("Geen instelling.")
    upload = get_object_or_404(
        Upload.objects.select_related("uploaded_by", "duplicate_of", "recompute_run", "scope_college", "institution"),
        pk=pk,
        institution=institution,
    )
    if is_policy(request.user, institution):
        return upload
    if upload.scope_college is not None and can_write_values(request.user, upload.scope_college):
        return upload
    raise PermissionDenied(
        "Alleen beleidsmedewerkers en de directeur (of teamleider) van het college zien deze upload."
    )


def _may_decide(user, upload: Upload) -> bool:
    """Return whether the user may confirm or cancel the upload (the page shows its buttons only then)."""
    if is_policy(user, upload.institution) or upload.uploaded_by_id == user.pk:
        return True
    return upload.scope_college is not None and can_write_college(user, upload.scope_college)


def _upload_to_decide(request, pk) -> Upload:
    """Return an upload the user may confirm or cancel: policy staff, the college's director, or who uploaded it.

    A teamleider sees the college's grid uploads, but another person's preview is not theirs to
    cancel or confirm (the reviewer's finding: a team leader could cancel the director's preview).
    """
    upload = _upload_for(request, pk)
    if _may_decide(request.user, upload):
        return upload
    raise PermissionDenied("Alleen wie deze upload deed, de directeur van het college of beleid beslist erover.")


@login_required
def detail(request, pk):
    """Show one upload: the dry run of a preview, the errors of a rejected file, or what an accepted one did."""
    upload = _upload_for(request, pk)
    return _detail(request, upload, errors=upload.errors)


def _busy(request, exc: UploadBusy):
    """Answer an upload that found every parse slot taken: try again shortly (503), nothing stored."""
    response = render(request, "busy.html", {"message": str(exc)}, status=503)
    response["Retry-After"] = "30"
    return response


def _detail(request, upload: Upload, *, errors: list[dict], status: int = 200):
    """Render the upload page; a preview is planned again from the kept file to show what would change now."""
    context = {"upload": upload, "form": UploadForm(), "kind_choices": KIND_CHOICES, **_limits()}
    context.update(error_listing(errors))
    if upload.status == UploadStatus.PREVIEW:
        try:
            plan = upload_plan(upload)
        except UploadStale as exc:
            context["stale"] = str(exc)
        except UploadBusy as exc:
            return _busy(request, exc)
        except UploadRejected as exc:
            context.update(error_listing(rejected_error_dicts(exc)))
            context["stale"] = "Het bestand past niet meer bij de agenda; het kan niet meer worden verwerkt."
        else:
            kind = request.GET.get("soort") if request.GET.get("soort") in KINDS else "alle"
            shown = [change for change in plan.changes if change.kind in KINDS[kind]]
            context.update(
                counts=plan.counts(),
                groups=plan.groups(),
                kind=kind,
                changes=Paginator(shown, CHANGES_PER_PAGE).get_page(request.GET.get("pagina")),
                effects=verdict_effects(upload, plan),
                confirm_form=ConfirmForm(initial={"fingerprint": plan.fingerprint()}),
                conflicts=plan.conflicts,
                flags=plan.flags,
                uncompared=plan.uncompared,
                # Issue 18: comparison series and breakdown values, beside the judged ones.
                context_counts=plan.context_counts(),
                context_changes=plan.context_changes[:CONTEXT_SHOWN],
                context_more=max(len(plan.context_changes) - CONTEXT_SHOWN, 0),
            )
    elif upload.status == UploadStatus.ACCEPTED:
        context.update(
            values=Paginator(
                # Within the institution's indicators (measurement_ind_year): upload_id has no index, so
                # that a corrected value is updated in place (indicatoren migration 0007, issue 16).
                Measurement.objects.filter(
                    indicator__institution_id=upload.institution_id, upload=upload
                ).select_related("indicator", "college", "team"),
                CHANGES_PER_PAGE,
            ).get_page(request.GET.get("pagina")),
            flips=VerdictChange.objects.filter(run=upload.recompute_run).select_related("indicator", "college")
            if upload.recompute_run_id
            else [],
            context_values=ContextValue.objects.filter(upload=upload).select_related("indicator", "college")[
                :CONTEXT_SHOWN
            ],
        )
    context["has_sheets"] = any(error.get("sheet") for error in context["errors"])
    context["may_decide"] = _may_decide(request.user, upload)
    return render(request, "uploads/detail.html", context, status=status)


@login_required
@require_POST
def confirm(request, pk):
    """Apply a previewed upload exactly as shown; when the stored values changed since, say so and show it again."""
    upload = _upload_to_decide(request, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Het voorbeeld is onvolledig verstuurd; bekijk het en bevestig opnieuw.")
        return redirect("uploads:detail", pk=upload.pk)
    try:
        upload = upload_confirm(
            upload=upload,
            fingerprint=form.cleaned_data["fingerprint"],
            user=request.user,
            keep_mine=set(request.POST.getlist("mijn")),
            note=form.cleaned_data["note"],
            allowed_teams=value_write_scope(request.user, upload.institution)["allowed_teams"],
        )
    except (UploadStale, NoteMissing, UploadBusy) as exc:
        messages.error(request, str(exc))
        return redirect("uploads:detail", pk=upload.pk)
    messages.success(
        request,
        f"Upload {upload.original_name} verwerkt: {upload.rows_new} nieuw, {upload.rows_changed} gewijzigd, "
        f"{upload.rows_unchanged} ongewijzigd.",
    )
    return redirect("uploads:detail", pk=upload.pk)


@login_required
@require_POST
def cancel(request, pk):
    """Cancel a previewed upload: nothing is stored."""
    upload = _upload_to_decide(request, pk)
    try:
        upload_cancel(upload=upload)
    except UploadStale as exc:
        messages.error(request, str(exc))
        return redirect("uploads:detail", pk=upload.pk)
    messages.info(request, f"Upload {upload.original_name} geannuleerd; er is niets opgeslagen.")
    if upload.scope_college is not None and not is_policy(request.user, upload.institution):
        return redirect("invoer:grid", code=upload.scope_college.code)
    return redirect("uploads:list")
