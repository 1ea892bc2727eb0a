"""Accountability pages: realised spending (/maatregelen/besteding/) and the manifesto's model (/maatregelen/manifest/).

Thin views: rapportage.accountability reads, maatregelen.services writes (and refuses what the
user may not write), the pure rapportage.engine.manifesto sums and checks.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from agenda.forms import add_service_error
from agenda.models import BudgetYear
from agenda.permissions import is_policy, require_policy, writable_colleges
from maatregelen import page_reads, services, versions
from maatregelen.forms import (
    LumpsumForm,
    PartnerAgreementForm,
    PromiseForm,
    SpendingForm,
    SpendingUploadForm,
    cents_to_euros,
)
from maatregelen.models import PartnerAgreement, Promise, Spending
from maatregelen.spending_file import SpendingFile, read_spending_file
from rapportage import accountability, page_cache
from rapportage.views import _context as year_context

UPLOAD_SESSION_KEY = "spending_upload"


def _pk(value) -> int | None:
    """Return an id from a query string or form as an int, or None when it is not one.

    str.isdigit() also says yes to '²' and '①', which int() then refuses: ?bewerk=² and a
    posted pk 'abc' were a 500. A missing row stays a 404 (get_object_or_404 with pk None).
    """
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def _spending_url(year: int) -> str:
    """Return the spending page of `year`."""
    return f"{reverse('verantwoording:spending')}?jaar={year}"


def _can_edit(allowed, spending: Spending) -> bool:
    """Return whether the user may change the spending line (a director: only their own colleges')."""
    return allowed is None or (spending.college_id is not None and spending.college_id in allowed)


@login_required
def spending(request):
    """Show the year's spending account per theme and college, its lines, and the forms to record or upload."""
    institution, year, years = year_context(request)
    allowed = writable_colleges(request.user, institution)
    can_write = allowed is None or bool(allowed)
    write = {"user": request.user, "allowed_colleges": allowed}
    form = SpendingForm(institution=institution, colleges=allowed, initial={"year": year})
    upload_form = SpendingUploadForm()
    preview = None
    editing = None
    stale = None
    if request.method == "GET" and _pk(request.GET.get("bewerk")) is not None:
        editing = get_object_or_404(Spending, pk=_pk(request.GET["bewerk"]), institution=institution)
        if _can_edit(allowed, editing):
            initial = page_reads.edit_initial(request, SpendingForm, editing)
            form = SpendingForm(institution=institution, colleges=allowed, initial=initial)
        else:
            editing = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "save":
            editing = None
            if _pk(request.POST.get("pk")) is not None:
                editing = get_object_or_404(Spending, pk=_pk(request.POST["pk"]), institution=institution)
            form = SpendingForm(request.POST, institution=institution, colleges=allowed)
            if form.is_valid():
                data = dict(form.cleaned_data)
                shown = data.pop("version", "")
                # domain.md, "No lost updates": an edit compares with the line as this page showed it,
                # a new line with none (one stored meanwhile under its key is named, not replaced).
                seen = page_reads.seen(request, editing, shown) if editing else versions.Read.nothing(Spending)
                try:
                    saved = services.spending_record(
                        institution=institution, spending=editing, seen=seen, **data, **write
                    )
                except versions.StaleEdit as exc:
                    stale, editing = exc, exc.record
                    initial = page_reads.stale_initial(request, SpendingForm, exc)
                    form = SpendingForm(institution=institution, colleges=allowed, initial=initial)
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    page_reads.note_saved(request, saved, seen, data)
                    messages.success(request, f"De besteding is vastgelegd: {cents_to_euros(saved.amount_cents)} euro.")
                    return redirect(_spending_url(saved.year))
        elif action == "delete":
            line = get_object_or_404(Spending, pk=_pk(request.POST.get("pk")), institution=institution)
            seen = page_reads.seen(request, line, request.POST.get("version", ""))
            stale, done = _delete(
                request,
                lambda: services.spending_delete(spending=line, seen=seen, **write),
                _spending_url(line.year),
                "De besteding is verwijderd.",
            )
            if done:
                return done
        elif action == "preview":
            upload_form = SpendingUploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                upload = upload_form.cleaned_data["file"]
                parsed = read_spending_file(
                    upload.read(settings.UPLOAD_MAX_BYTES + 1),
                    settings.UPLOAD_MAX_BYTES,
                    settings.UPLOAD_MAX_UNPACKED_BYTES,
                )
                preview = services.spendings_import(institution=institution, parsed=parsed, dry_run=True, **write)
                if not preview.errors:
                    # What the preview showed of each stored line: the confirmation replaces only those.
                    request.session[UPLOAD_SESSION_KEY] = {
                        "rows": parsed.rows,
                        "name": upload.name,
                        "versions": list(preview.versions.items()),
                    }
        elif action == "confirm":
            stored = request.session.pop(UPLOAD_SESSION_KEY, None)
            if stored is None:
                messages.error(request, "Er staat geen bestand klaar; laad het bestand opnieuw.")
                return redirect(_spending_url(year))
            result = services.spendings_import(
                institution=institution,
                parsed=SpendingFile(rows=stored["rows"]),
                dry_run=False,
                previewed=dict(stored["versions"]) if "versions" in stored else None,
                **write,
            )
            if result.errors:
                preview = result  # the agenda changed since the preview: show why nothing was saved
            else:
                counts = result.counts
                messages.success(
                    request,
                    f"Het bestand ‘{stored['name']}’ is verwerkt: {counts['nieuw']} nieuw, "
                    f"{counts['gewijzigd']} gewijzigd, {counts['ongewijzigd']} ongewijzigd.",
                )
                return redirect(_spending_url(year))
        elif action == "cancel":
            request.session.pop(UPLOAD_SESSION_KEY, None)
            messages.info(request, "Het bestand is niet verwerkt.")
            return redirect(_spending_url(year))

    def build() -> dict:
        data = accountability.spending_data(institution, year)
        for line in data["lines"]:
            line.editable = _can_edit(allowed, line)
            line.version = versions.token(line) if line.editable else ""
        return {
            "year": year,
            "years": years,
            "institution": institution,
            "can_write": can_write,
            "is_policy": allowed is None,
            "form": form,
            "upload_form": upload_form,
            "preview": preview,
            "editing": editing,
            "stale": stale,
            **data,
        }

    plain = editing is None and preview is None and stale is None
    return _page(request, institution, "rapportage/spending.html", build, plain=plain, stale=stale)


@login_required
def manifesto(request):
    """Show the promises per theme with partners, target groups, effect, budget and account, and the checks.

    Each form carries the version it showed (maatregelen.versions): a promise or lumpsum someone
    changed since is not overwritten or deleted unseen (409, naming the newer values).
    """
    institution, year, years = year_context(request)
    policy = is_policy(request.user, institution)
    write = {"user": request.user, "allowed_colleges": writable_colleges(request.user, institution)}
    budget_year = BudgetYear.objects.filter(institution=institution, year=year).first()
    promise_form = PromiseForm(institution=institution)
    partner_form = PartnerAgreementForm()
    lumpsum_form = _lumpsum_form(budget_year)
    editing = None
    partner_for = None
    stale, stale_for = None, ""
    if _pk(request.GET.get("belofte")) is not None:
        editing = get_object_or_404(Promise, pk=_pk(request.GET["belofte"]), institution=institution)
        promise_form = PromiseForm(
            institution=institution, initial=page_reads.edit_initial(request, PromiseForm, editing)
        )
    if _pk(request.GET.get("partner")) is not None:
        partner_for = get_object_or_404(Promise, pk=_pk(request.GET["partner"]), institution=institution)
    here = f"{reverse('verantwoording:manifesto')}?jaar={year}"
    if request.method == "POST":
        # Every write on this page (promises, partners, the lumpsum) is policy staff's; refuse before reading the form.
        require_policy(request.user, institution)
        action = request.POST.get("action")
        if action == "promise":
            editing = None
            if _pk(request.POST.get("pk")) is not None:
                editing = get_object_or_404(Promise, pk=_pk(request.POST["pk"]), institution=institution)
            promise_form = PromiseForm(request.POST, institution=institution)
            if promise_form.is_valid():
                data = dict(promise_form.cleaned_data)
                shown = data.pop("version", "")
                seen = page_reads.seen(request, editing, shown) if editing else None
                try:
                    saved = services.promise_save(institution=institution, record=editing, seen=seen, **data, **write)
                except versions.StaleEdit as exc:
                    stale, stale_for, editing = exc, "promise", exc.record
                    initial = page_reads.stale_initial(request, PromiseForm, exc)
                    promise_form = PromiseForm(institution=institution, initial=initial)
                except ValidationError as exc:
                    add_service_error(promise_form, exc)
                else:
                    page_reads.note_saved(request, saved, seen, data)
                    messages.success(request, f"De belofte ‘{saved.title}’ is opgeslagen.")
                    return redirect(here)
        elif action == "promise_delete":
            promise = get_object_or_404(Promise, pk=_pk(request.POST.get("pk")), institution=institution)
            seen = page_reads.seen(request, promise, request.POST.get("version", ""))
            listed = request.POST.get("partners")  # the agreements shown with it, taken along by the delete
            partners_seen = None if listed is None else {pk for pk in map(_pk, listed.split(",")) if pk is not None}
            stale, done = _delete(
                request,
                lambda: services.promise_delete(promise=promise, seen=seen, partners_seen=partners_seen, **write),
                here,
                f"De belofte ‘{promise.title}’ is verwijderd.",
            )
            if done:
                return done
            stale_for = "promise_delete"
        elif action == "partner":
            partner_for = get_object_or_404(Promise, pk=_pk(request.POST.get("promise")), institution=institution)
            partner_form = PartnerAgreementForm(request.POST)
            if partner_form.is_valid():
                try:
                    services.partner_agreement_save(promise=partner_for, **partner_form.cleaned_data, **write)
                except ValidationError as exc:
                    add_service_error(partner_form, exc)
                else:
                    messages.success(request, f"De afspraak met {partner_form.cleaned_data['partner']} is opgeslagen.")
                    return redirect(here)
        elif action == "partner_delete":
            row = get_object_or_404(PartnerAgreement, pk=_pk(request.POST.get("pk")), promise__institution=institution)
            seen = page_reads.read(request.POST.get("version", ""), PartnerAgreement)
            stale, done = _delete(
                request,
                lambda: services.partner_agreement_delete(agreement_row=row, seen=seen, **write),
                here,
                f"De afspraak met {row.partner} is verwijderd.",
            )
            if done:
                return done
            stale_for = "partner_delete"
        elif action == "lumpsum":
            if budget_year is None:
                messages.error(request, f"Voor {year} is geen budget vastgelegd.")
                return redirect(here)
            lumpsum_form = LumpsumForm(request.POST)
            if lumpsum_form.is_valid():
                shown = lumpsum_form.cleaned_data["version"]
                try:
                    services.lumpsum_set(
                        budget_year=budget_year,
                        lumpsum_total_cents=lumpsum_form.cleaned_data["lumpsum_total_cents"],
                        seen=versions.Read.from_token(shown, BudgetYear) if shown else None,
                        **write,
                    )
                except versions.StaleEdit as exc:
                    stale, stale_for = exc, "lumpsum"
                    lumpsum_form = _lumpsum_form(exc.record)
                except ValidationError as exc:
                    add_service_error(lumpsum_form, exc)
                else:
                    messages.success(request, f"De totale lumpsum van {year} is opgeslagen.")
                    return redirect(here)

    def build() -> dict:
        data = accountability.manifesto_data(institution, year)
        for promise in data["promises"]:
            promise.version = versions.token(promise) if policy else ""
            for agreement_row in promise.partners.all():  # the prefetched rows the template lists
                agreement_row.version = versions.token(agreement_row) if policy else ""
        return {
            "year": year,
            "years": years,
            "institution": institution,
            "policy": policy,
            "promise_form": promise_form,
            "partner_form": partner_form,
            "lumpsum_form": lumpsum_form,
            "editing": editing,
            "partner_for": partner_for,
            "stale": stale,
            "stale_for": stale_for,
            **data,
        }

    return _page(request, institution, "rapportage/manifesto.html", build, plain=editing is None, stale=stale)


def _delete(request, delete, back: str, done: str):
    """Run a list's delete button through its service: (None, redirect) when deleted, (StaleEdit, None) when refused.

    A record changed since the list showed it is not deleted (409, domain.md "No lost updates"):
    the list below then shows it as it is now. One deleted by someone else meanwhile
    (versions.lock) is said and the list shown again.
    """
    try:
        delete()
    except versions.StaleEdit as exc:
        return exc, None
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
        return None, redirect(back)
    messages.success(request, done)
    return None, redirect(back)


def _page(request, institution, template: str, build, *, plain: bool, stale) -> HttpResponse:
    """Return an accountability page: a plain GET from the board pages' cache (rapportage.page_cache), else rendered.

    The board reads these pages as it reads the budget (issue 16's dashboard bench measured 66
    requests/s at p99 1.1 s for the spending page, rendered on every request). Only the page as
    anyone opening it sees it is cached, per user and version; a form being edited (it notes what
    its user saw in the session, maatregelen.page_reads), an upload preview and a refusal are
    rendered for the request.
    """
    if request.method == "GET" and plain:
        return page_cache.page(request, institution, template, build)
    return render(request, template, build(), status=409 if stale else 200)


def _lumpsum_form(budget_year: BudgetYear | None) -> LumpsumForm:
    """Return the lumpsum form showing the year's stored lumpsum with its version (empty without a budget year)."""
    if budget_year is None:
        return LumpsumForm()
    initial = {"version": versions.token(budget_year)}
    if budget_year.lumpsum_total_cents is not None:
        initial["lumpsum_total_cents"] = budget_year.lumpsum_total_cents
    return LumpsumForm(initial=initial)
