"""Policy pages (beleid): maintain the agenda as revisions with a reason, each with a dry run before saving.

Issue 15 item 5: policy staff revise ambitions, applicability, theme budget shares, baselines and
explanatory factors here instead of in the raw admin. Every page works the same way: the form is checked, the
revision is applied through its agenda service inside a savepoint and evaluated (rapportage.whatif),
the page shows the verdicts that would flip and the budget cents that would move, and "Opslaan"
saves exactly that revision, unless the agenda or the values changed in between (then nothing is
saved and the new preview is shown). These pages live in invoer because the dry run needs
rapportage, which agenda may not import (import-linter layers).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from agenda import selectors, services
from agenda.forms import (
    AmbitionForm,
    ApplicabilityForm,
    BaselineForm,
    FactorForm,
    ThemeShareForm,
    add_service_error,
)
from agenda.models import (
    Ambition,
    Applicability,
    BaselineRevision,
    Factor,
    FactorRevision,
    Institution,
    ThemeShareRevision,
)
from agenda.permissions import current_institution, require_policy
from kern.rules import dutch
from rapportage.whatif import RevisionStale, revision_confirm, revision_effects


def policy_institution(request) -> Institution:
    """Return the user's institution after checking that the user is policy staff (403 otherwise)."""
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    require_policy(request.user, institution)
    return institution


def _chosen_year(query, institution: Institution, name: str = "from_year") -> int | None:
    """Return the year `name` of a query string when it lies in the agenda period, else None."""
    try:
        year = int(query.get(name, ""))
    except ValueError:
        return None
    return year if year in institution.years else None


def revision_key(page: str, data: dict) -> str:
    """Return the revision as canonical text: the preview's fingerprint covers it, so "Opslaan" saves what was shown."""

    def plain(value):
        if isinstance(value, Model):
            return value.pk
        if isinstance(value, list | tuple | QuerySet):
            return sorted(plain(item) for item in value)
        return str(value)

    return json.dumps({"page": page, **{name: plain(value) for name, value in data.items()}}, sort_keys=True)


# --- What each page shows and writes --------------------------------------------------------


def _ambition_overview(institution: Institution) -> dict:
    years, rows, values = selectors.ambition_overview(institution)
    return {"years": years, "rows": rows, "values": values}


def _prefill_by_year(**extra):
    """Return a prefill that starts from what holds for ?indicator= in ?from_year= (default: the period's start).

    `values` in the page's overview is {code: {year: form values}} (the ambitions and baselines
    pages); `extra` gives further initial fields from the institution (the ambition's until_year).
    """

    def prefill(query, institution: Institution, context: dict) -> tuple[dict, int | None]:
        initial = {"reason": query.get("reason", "")}
        code, year = query.get("indicator", ""), _chosen_year(query, institution)
        year = year if year is not None else institution.period_start
        initial.update(from_year=year, **{name: value(institution) for name, value in extra.items()})
        if year in context["values"].get(code, {}):
            initial.update(indicator=code, **context["values"][code][year])
            return initial, year
        return initial, None

    return prefill


_ambition_prefill = _prefill_by_year(until_year=lambda institution: institution.period_end)


def _ambition_write(data: dict, user):
    return services.ambitions_revise(**data, author=user)


def _ambition_success(data: dict) -> str:
    years = (
        data["from_year"] if data["from_year"] == data["until_year"] else f"{data['from_year']}-{data['until_year']}"
    )
    return f"Vastgelegd: de ambitie van {data['indicator'].code} voor {years}. De oordelen en het budget worden opnieuw berekend."


def _applicability_overview(institution: Institution) -> dict:
    colleges, rows, lists = selectors.applicability_overview(institution)
    return {"colleges": colleges, "rows": rows, "lists": lists, "years": list(institution.years)}


def _prefill_in_force(key: str, in_force: str, field: str):
    """Return a prefill that fills `field` with what is in force for ?`key`= in the chosen year.

    `in_force` names the overview's {code: {year: value}} (without a year: the period's last);
    the applicability (colleges) and share (percentage) pages differ only in these three names.
    """

    def prefill(query, institution: Institution, context: dict) -> tuple[dict, int | None]:
        initial = {"reason": query.get("reason", "")}
        code, year = query.get(key, ""), _chosen_year(query, institution)
        if year is not None:
            initial["from_year"] = year
        if code in context[in_force]:
            prefilled = year if year is not None else institution.period_end
            initial.update({key: code, field: context[in_force][code][prefilled]})
            return initial, prefilled
        return initial, None

    return prefill


_applicability_prefill = _prefill_in_force("indicator", "lists", "colleges")


def _applicability_write(data: dict, user):
    return services.applicability_revise(**data, author=user)


def _applicability_success(data: dict) -> str:
    return (
        f"Vastgelegd: {data['indicator'].code} geldt vanaf {data['from_year']} voor {len(data['colleges'])} van de"
        f" {data['indicator'].institution.colleges.count()} colleges. De oordelen en het budget worden opnieuw berekend."
    )


def _share_overview(institution: Institution) -> dict:
    rows, totals, shares = selectors.share_overview(institution)
    return {
        "rows": rows,
        "totals": totals,
        "unbalanced": [t for t in totals if not t["balanced"]],
        "shares": shares,
        "years": list(institution.years),
    }


_share_prefill = _prefill_in_force("theme", "shares", "budget_share_pct")


def _share_write(data: dict, user):
    return services.theme_share_revise(**data, author=user)


def _share_success(data: dict) -> str:
    return (
        f"Vastgelegd: {data['theme'].code} krijgt vanaf {data['from_year']} {dutch(data['budget_share_pct'])} %"
        " van het budget. De oordelen en het budget worden opnieuw berekend."
    )


def _baseline_overview(institution: Institution) -> dict:
    years, rows, values = selectors.baseline_overview(institution)
    return {"years": years, "rows": rows, "values": values}


_baseline_prefill = _prefill_by_year()


def _baseline_write(data: dict, user):
    return services.baseline_revise(**data, author=user)


def _baseline_success(data: dict) -> str:
    value = "uit de waarden" if data["baseline_value"] is None else dutch(data["baseline_value"])
    return (
        f"Vastgelegd: {data['indicator'].code} heeft vanaf {data['from_year']} de nulmeting van"
        f" {data['baseline_year']} ({value}). De oordelen en het budget worden opnieuw berekend."
    )


def _factor_overview(institution: Institution) -> dict:
    factors = Factor.objects.filter(indicator__institution=institution).select_related("indicator")
    latest = {}
    for revision in FactorRevision.objects.filter(factor__in=factors).select_related("author").order_by("created_at"):
        latest[revision.factor_id] = revision
    rows = [{"factor": factor, "revision": latest.get(factor.pk)} for factor in factors]
    rows.sort(key=lambda row: (row["factor"].indicator.position, row["factor"].indicator.code, row["factor"].position))
    return {"rows": rows}


def _factor_prefill(query, institution: Institution, context: dict) -> tuple[dict, int | None]:
    """Fill the form in with the chosen factor (?factor=<id>) or the chosen indicator."""
    initial = {"reason": query.get("reason", ""), "indicator": query.get("indicator", "")}
    factor = next((row["factor"] for row in context["rows"] if str(row["factor"].pk) == query.get("factor")), None)
    if factor is not None:
        initial.update(
            indicator=factor.indicator.code,
            factor=factor.pk,
            name=factor.name,
            effect=factor.effect,
            description=factor.description,
        )
    return initial, None


def _factor_write(data: dict, user):
    return services.factor_save(**data, author=user)


def _factor_target(data: dict) -> str:
    """Return the current state of the indicator's factors: what a factor save writes over.

    A factor moves no verdict or cent, so the preview's fingerprint reads this instead: of two
    users who previewed the same factor, the second save gets the stale-preview answer (409).
    Read fresh from the database, not from the form's instance, as revision_confirm calls it
    under the data lock.
    """
    rows = Factor.objects.filter(indicator=data["indicator"]).order_by("pk")
    latest = FactorRevision.objects.filter(factor__indicator=data["indicator"]).order_by("-pk").first()
    state = [[f.pk, f.name, f.effect, f.description, f.position] for f in rows]
    return json.dumps({"factors": state, "revision": latest.pk if latest else None})


def _factor_success(data: dict) -> str:
    verb = "gewijzigd" if data["factor"] else "toegevoegd"
    return f"Factor ‘{data['name']}’ bij {data['indicator'].code} is {verb}."


def _stored_rows(rows) -> str:
    """Return the stored revisions a save writes over or beside, as text: rapportage.whatif's target state.

    The preview's fingerprint covers the verdicts and budgets, which do not show a revision for a
    year without data or a budget row yet: of two policy staff who previewed the same subject,
    the second "Opslaan" then replaced the first's revision unseen (domain.md, "No lost updates").
    Every stored field counts, so any save in between makes the preview stale (409).
    """
    return json.dumps([[str(value) for value in row] for row in rows.order_by("pk").values_list()])


def _ambition_target(data: dict) -> str:
    return _stored_rows(Ambition.objects.filter(indicator=data["indicator"]))


def _applicability_target(data: dict) -> str:
    rows = Applicability.objects.filter(indicator=data["indicator"])
    colleges = rows.order_by("pk", "colleges__pk").values_list("pk", "colleges__pk")
    return _stored_rows(rows) + json.dumps(list(colleges))


def _share_target(data: dict) -> str:
    return _stored_rows(ThemeShareRevision.objects.filter(theme=data["theme"]))


def _baseline_target(data: dict) -> str:
    return _stored_rows(BaselineRevision.objects.filter(indicator=data["indicator"]))


@dataclass(frozen=True)
class PolicyPage:
    """One policy page: its form, the agenda service it saves through, and what it shows beside the form."""

    name: str  # the URL name in beleid: and the template beleid/<name>.html
    form: type
    write: Callable[[dict, object], object]  # (cleaned data, user): calls one agenda service
    success: Callable[[dict], str]
    overview: Callable[[Institution], dict]
    prefill: Callable[[object, Institution, dict], tuple[dict, int | None]]
    query: Callable[[dict], dict]  # after saving: the query string that shows what was saved
    # The current state of what the save writes over when no verdict or budget shows it (rapportage.whatif)
    target: Callable[[dict], str]


AMBITIONS = PolicyPage(
    "ambitions",
    AmbitionForm,
    _ambition_write,
    _ambition_success,
    _ambition_overview,
    _ambition_prefill,
    lambda data: {"indicator": data["indicator"].code, "from_year": data["from_year"]},
    _ambition_target,
)
APPLICABILITY = PolicyPage(
    "applicability",
    ApplicabilityForm,
    _applicability_write,
    _applicability_success,
    _applicability_overview,
    _applicability_prefill,
    lambda data: {"indicator": data["indicator"].code, "from_year": data["from_year"]},
    _applicability_target,
)
THEME_SHARES = PolicyPage(
    "theme_shares",
    ThemeShareForm,
    _share_write,
    _share_success,
    _share_overview,
    _share_prefill,
    lambda data: {"theme": data["theme"].code, "from_year": data["from_year"]},
    _share_target,
)
BASELINES = PolicyPage(
    "baselines",
    BaselineForm,
    _baseline_write,
    _baseline_success,
    _baseline_overview,
    _baseline_prefill,
    lambda data: {"indicator": data["indicator"].code, "from_year": data["from_year"]},
    _baseline_target,
)
FACTORS = PolicyPage(
    "factors",
    FactorForm,
    _factor_write,
    _factor_success,
    _factor_overview,
    _factor_prefill,
    lambda data: {},
    _factor_target,
)


@login_required
@require_http_methods(["GET", "POST"])
def policy_page(request, *, page: PolicyPage):
    """Show a policy page; a POST previews the revision ("Voorbeeld bekijken") or saves the previewed one ("Opslaan").

    400 when the form or the service refuses; 409 when the preview no longer held (nothing saved,
    the new preview is shown).
    """
    institution = policy_institution(request)
    context = page.overview(institution)
    effects, prefilled, stale = None, None, ""
    if request.method == "POST":
        form = page.form(request.POST, institution=institution)
        if form.is_valid():
            data = form.cleaned_data
            key = revision_key(page.name, data)

            def apply():
                return page.write(data, request.user)

            def target():
                return page.target(data)

            try:
                if "save" in request.POST:
                    try:
                        revision_confirm(
                            institution,
                            apply,
                            key=key,
                            fingerprint=request.POST.get("fingerprint", ""),
                            target=target,
                        )
                    except RevisionStale as exc:
                        stale = str(exc)
                    else:
                        messages.success(request, page.success(data))
                        query = urlencode(page.query(data))
                        return redirect(f"{reverse(f'beleid:{page.name}')}{'?' + query if query else ''}")
                effects = revision_effects(institution, apply, key=key, target=target)
            except ValidationError as exc:
                add_service_error(form, exc)
                effects = None
    else:
        initial, prefilled = page.prefill(request.GET, institution, context)
        form = page.form(initial=initial, institution=institution)
    context.update(form=form, prefilled=prefilled, effects=effects, stale=stale, page=page.name)
    status = 400 if form.errors else 409 if stale else 200
    return render(request, f"beleid/{page.name}.html", context, status=status)
