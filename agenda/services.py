"""Writes to the agenda: loading an agenda file, teams, and revisions (herijking) of ambitions,
budget shares, applicability and baselines."""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agenda import selectors
from agenda.data_lock import lock_institution_data
from agenda.models import (
    AdditionalFund,
    AgendaLoad,
    Ambition,
    Applicability,
    BaselineRevision,
    BudgetTerms,
    BudgetYear,
    College,
    CompositeComponent,
    Factor,
    FactorRevision,
    FundTerms,
    Goal,
    Indicator,
    IndicatorTerms,
    Institution,
    Reach,
    Team,
    Theme,
    ThemeShareRevision,
    ThemeTerms,
    budget_year_reaches,
    every_unit,
    fund_reaches,
    indicator_reaches,
    refuse_reaches,
    theme_reaches,
)
from agenda.schema import (
    OPTIONAL_SETTINGS,
    AgendaFileError,
    ambition_value,
    baseline_label,
    colleges_label,
    owner_label,
    removable,
    share_label,
    spec_state,
    validate_agenda,
)
from kern import versions
from kern.signals import announce_change, refuse_if_approved
from kern.text import visible_length

ABSENT = object()  # a setting the file or the database does not have
NEVER = object()  # a setting no earlier load of the file set


class AgendaLockedError(AgendaFileError):
    """A load that would change what is judged or paid in an approved (vastgesteld) year; `errors` names each change."""


class AgendaConflictError(Exception):
    """A load that would undo what the application changed after the file's previous load; `conflicts` names each."""

    def __init__(self, conflicts: list[str]):
        super().__init__("\n".join(conflicts))
        self.conflicts = conflicts


@dataclass
class Conflict:
    """One setting the file would change although the application changed it after the file's previous load."""

    label: str
    app: object  # the value in the application
    file: object  # the file's value, or ABSENT when the file would remove the setting
    loaded: object  # the value the previous load set, or NEVER

    def message(self) -> str:
        """Return the conflict in Dutch."""
        if self.label.endswith(": factors"):
            return self._factor_message()
        if self.loaded is NEVER:
            app = f"in de applicatie ‘{_show(self.app)}’, niet gezet door een eerder geladen bestand"
        else:
            app = f"na de vorige load in de applicatie gewijzigd in ‘{_show(self.app)}’ (was ‘{_show(self.loaded)}’)"
        if self.file is ABSENT:
            return f"{self.label}: {app}; het bestand heeft deze instelling niet meer en zou haar verwijderen"
        return f"{self.label}: {app}; het bestand zegt ‘{_show(self.file)}’"

    def _factor_message(self) -> str:
        """Return a conflict of an indicator's factors in Dutch, naming each factor the load would change or delete.

        The factors are one setting (a list), but the user edits them one by one on /beleid/factoren/,
        so the message names the factors rather than printing the list.
        """
        owner = self.label.removesuffix(": factors")
        app = [tuple(f) for f in self.app]
        file = [] if self.file is ABSENT else [tuple(f) for f in self.file]
        in_file = {f[0]: f for f in file}
        in_app = {f[0] for f in app}
        parts = []
        for name, effect, description in app:
            wanted = in_file.get(name)
            if wanted is None:
                parts.append(f"factor ‘{name}’ zou verdwijnen (het bestand noemt haar niet)")
            elif wanted != (name, effect, description):
                parts.append(
                    f"factor ‘{name}’ zou worden overschreven (applicatie: effect {effect}, ‘{_show(description)}’;"
                    f" bestand: effect {wanted[1]}, ‘{_show(wanted[2])}’)"
                )
        parts += [f"factor ‘{name}’ uit het bestand zou terugkomen" for name in in_file if name not in in_app]
        parts = parts or ["de volgorde van de factoren zou veranderen"]
        if self.loaded is NEVER:
            when = "in de applicatie gezet, niet door een eerder geladen bestand"
        else:
            when = "na de vorige load in de applicatie gewijzigd (op /beleid/factoren/)"
        return f"{owner}: verklarende factoren {when}; " + "; ".join(parts)

    def record(self) -> dict:
        """Return the conflict as kept in the load's history (AgendaLoad.overridden)."""
        return {
            "label": self.label,
            "app": self.app,
            "file": None if self.file is ABSENT else self.file,
            "removed": self.file is ABSENT,
        }


def _show(value) -> str:
    """Return a remembered value as the file would write it."""
    if value is None:
        return "leeg"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and "type" in value:  # an ambition
        text = value["type"] + (f" {value['target']}" if value.get("target") is not None else "")
        if value.get("tolerance") not in (None, "0"):
            text += f", tolerance {value['tolerance']}"
        return text + (", indicatief" if value.get("indicative") else "")
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _remembered(institution: Institution | None) -> dict[str, object]:
    """Return per setting what the latest load that set or removed it left: its value, or ABSENT."""
    memory: dict[str, object] = {}
    if institution is None:
        return memory
    for load in AgendaLoad.objects.filter(institution=institution).order_by("-loaded_at", "-id"):
        for label, value in load.values.items():
            memory.setdefault(label, value)
        for label in load.removed:
            memory.setdefault(label, ABSENT)
    return memory


def _plan(wanted: dict, stored: dict, memory: dict) -> tuple[list[Conflict], set[str]]:
    """Return the conflicts of a load and the settings it removes (if it goes ahead).

    A setting is in conflict when the file would change it and the application changed it after
    the file's previous load: its stored value differs from the one that load set, or no load set
    it. A college list or revision that the previous load set and the file no longer has is removed.
    """
    labels = set(wanted) | {
        label
        for label, value in memory.items()
        if value is not ABSENT and removable(label) and label not in wanted and owner_label(label) in wanted
    }
    conflicts, remove = [], set()
    for label in sorted(labels):
        new, now = wanted.get(label, ABSENT), stored.get(label, ABSENT)
        if new == now:
            continue
        loaded = memory.get(label, NEVER)
        if loaded is ABSENT:
            loaded = NEVER  # removed by a load, set again in the application
        if now is not ABSENT and (loaded is NEVER or loaded != now):
            conflicts.append(Conflict(label, now, new, loaded))
        if new is ABSENT:
            remove.add(label)
    return conflicts, remove


@dataclass
class LoadReport:
    """What a load created, updated and removed, per kind of row."""

    institution: Institution | None = None
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    overridden: list[str] = field(default_factory=list)  # the application's values the file replaced (--file-wins)

    @property
    def changes(self) -> int:
        """Return the number of rows written."""
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.removed.values())

    def summary(self) -> str:
        """Return a one-paragraph Dutch summary."""
        if not self.changes:
            return f"{self.institution.code}: niets gewijzigd (het bestand was al geladen)."
        parts = []
        for label, counter in (("nieuw", self.created), ("gewijzigd", self.updated), ("verwijderd", self.removed)):
            counts = {kind: n for kind, n in counter.items() if n}
            if counts:
                parts.append(f"{label}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
        text = f"{self.institution.code}: " + "; ".join(parts) + "."
        if self.overridden:
            text += (
                f"\nHet bestand wint van {len(self.overridden)} wijziging(en) uit de applicatie"
                " (bewaard in de geschiedenis):\n" + "\n".join(f"  {line}" for line in self.overridden)
            )
        return text


def _upsert(model, lookup: dict, values: dict, report: LoadReport, kind: str, *, code_ignoring_case: bool = False):
    """Return the row matching `lookup`, created or updated to `values`; save only real changes.

    `code_ignoring_case`: the lookup's code matches a stored one in any case, as the constraint
    (and an upload) compare college, team and indicator codes; the stored spelling stays.
    """
    query = dict(lookup)
    if code_ignoring_case:
        query["code__iexact"] = query.pop("code")
    obj = model.objects.filter(**query).first()
    if obj is None:
        report.created[kind] += 1
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated[kind] += 1
    return obj


def _ambition_differs(current: Ambition, spec: dict) -> bool:
    """Return whether an ambition in the file differs from the one in force."""
    return (
        current.type != spec["type"]
        or current.target != spec["target"]
        or current.tolerance != spec["tolerance"]
        or current.indicative != spec["indicative"]
    )


@transaction.atomic
def agenda_load(*, data: dict, source: str = "", user=None, file_wins: bool = False) -> LoadReport:
    """Load or update an institution's agenda from a parsed file: atomic and idempotent.

    Ambitions are never overwritten: a changed ambition becomes a new revision (herijking).
    Colleges, teams, themes and indicators missing from the file are kept, as they may have data.
    Where the file would change a setting the application changed after the file's previous
    load, nothing is written and AgendaConflictError names each one, unless `file_wins`: then
    the file's value applies and the application's stays in history (domain.md, "The agenda
    changes over time"). A load that would change what an approved year judged or paid is
    refused whole, each such change named (AgendaLockedError; domain.md, "Sign-off and locking").
    Each load that sets something new is remembered (AgendaLoad).
    """
    spec = validate_agenda(data)
    existing = Institution.objects.filter(code=spec["institution"]["code"]).first()
    wanted = spec_state(spec)
    memory = _remembered(existing)
    stored_spec = selectors.agenda_spec(existing) if existing else None
    stored = spec_state(stored_spec) if existing else {}
    conflicts, remove = _plan(wanted, stored, memory)
    if conflicts and not file_wins:
        raise AgendaConflictError([conflict.message() for conflict in conflicts])
    if existing is not None:
        _refuse_locked_years(existing, stored_spec, spec, remove)
    overridden = {conflict.label for conflict in conflicts}

    report = LoadReport(overridden=[conflict.message() for conflict in conflicts])
    inst = _upsert(
        Institution,
        {"code": spec["institution"]["code"]},
        {
            "name": spec["institution"]["name"],
            "period_start": spec["period"]["start"],
            "period_end": spec["period"]["end"],
        },
        report,
        "instelling",
    )
    report.institution = inst

    errors = []
    for i, col in enumerate(spec["colleges"]):
        college = _upsert(
            College,
            {"institution": inst, "code": col["code"]},
            {"name": col["name"], "active": col["active"]},
            report,
            "colleges",
            code_ignoring_case=True,
        )
        for j, team in enumerate(col["teams"]):
            existing = (
                Team.objects.filter(institution=inst, code__iexact=team["code"]).select_related("college").first()
            )
            if existing and existing.college_id != college.id:
                errors.append(
                    f"colleges[{i}].teams[{j}].code: team '{team['code']}' hoort al bij college {existing.college.code}"
                )
                continue
            _upsert(
                Team,
                {"institution": inst, "code": team["code"]},
                {
                    "college": college,
                    "name": team["name"],
                    "active_from": team["active_from"],
                    "active_until": team["active_until"],
                },
                report,
                "teams",
                code_ignoring_case=True,
            )
    if errors:
        raise AgendaFileError(errors)

    indicator_position = 0
    for position, th in enumerate(spec["themes"], start=1):
        theme = _upsert(
            Theme,
            {"institution": inst, "code": th["code"]},
            {
                "name": th["name"],
                "national": th["national"],
                "budget_share_pct": th["budget_share_pct"],
                "ambition": th["ambition"],
                "position": position,
            },
            report,
            "thema's",
        )
        if list(theme.goals.values_list("text", flat=True)) != th["goals"]:
            report.removed["doelen"] += theme.goals.all().delete()[0]
            Goal.objects.bulk_create(Goal(theme=theme, text=text, position=k) for k, text in enumerate(th["goals"], 1))
            report.created["doelen"] += len(th["goals"])
        _sync_funds(inst, theme, th["additional_funds"], report)
        _sync_share_revisions(theme, th["revisions"], remove, report)
        for ind in th["indicators"]:
            indicator_position += 1
            _load_indicator(inst, theme, ind, indicator_position, report, source, user, overridden, remove)
            _sync_indicator_revisions(inst, ind, remove, report)
    # After every indicator: a composite may name a component that comes later in the file.
    for th in spec["themes"]:
        for ind in th["indicators"]:
            _sync_composite(inst, ind, remove, report)

    for entry in spec["budget"]:
        _upsert(
            BudgetYear,
            {"institution": inst, "year": entry["year"]},
            {
                "total_cents": entry["total_cents"],
                "result_dependent_pct": entry["result_dependent_pct"],
                "central_pct": entry["central_pct"],
                **_optional(f"budget {entry['year']}", entry, remove),
            },
            report,
            "budgetjaren",
        )
    if report.changes:
        announce_change(institution=inst, reason=f"agenda geladen ({source or 'bestand'})")
    if conflicts or remove or any(memory.get(label, NEVER) != value for label, value in wanted.items()):
        # Remember what this load set; a load that sets nothing new leaves no trace (idempotent).
        AgendaLoad.objects.create(
            institution=inst,
            source=source[:300],
            user=user,
            file_wins=bool(conflicts),
            values=wanted,
            removed=sorted(remove),
            overridden=[conflict.record() for conflict in conflicts],
        )
    return report


# --- Approved years: what a load changes in them (domain.md, "Sign-off and locking") ---


@dataclass
class _Reach:
    """One change a load makes: where the file makes it, the units it may move, and the exact check of its rule.

    `units`: (college id or None for the institution level, year), at least every one the change
    moves (the load asks them all at once); `check` raises ValidationError naming the approval
    when the change moves an approved one (its rule's home: the herijking's, Team.clean, ...).
    """

    path: str
    units: list[tuple[int | None, int]]
    check: Callable[[], None]


def _refuse_locked_years(inst: Institution, stored: dict, spec: dict, remove: set[str]) -> None:
    """Raise AgendaLockedError, before anything is written, when the load changes what an approved year judged or paid.

    Approved years change only after policy staff reopen them, on every channel (domain.md,
    "Sign-off and locking"); the file is one. The whole load is asked once (the units every change
    may move); only when that meets an approved year is each change asked on its own, by its rule's
    home, so that every refused change is named with its path and year and nothing else is.
    """
    reaches = _load_reaches(inst, stored, spec, remove)
    units = {unit for reach in reaches for unit in reach.units}
    if not units:
        return
    try:
        refuse_if_approved(institution=inst, units=units, what="Het agendabestand verandert de oordelen")
        return
    except ValidationError:
        pass
    errors = []
    for reach in reaches:
        try:
            reach.check()
        except ValidationError as exc:
            errors += [f"{reach.path}: {message}" for message in exc.messages]
    if errors:
        raise AgendaLockedError(errors)


def _load_reaches(inst: Institution, stored: dict, spec: dict, remove: set[str]) -> list[_Reach]:
    """Return every change the load makes that moves a verdict or a cent, with the years it moves.

    Names, descriptions, goals, factors, definitions, sources, choices, breakdowns and units move
    none and are not listed. What the rapportage engine counts: the period, which colleges count
    (College.active), a team's active years (Team.clean), an indicator's theme, polarity, whether
    it is measured at institution level only, baseline, colleges, ambitions and composite, a theme's
    share and the budget rows (and, beside them in the year's budget, the other funds and which
    themes are national, agenda ch. 12). A change of year Y's budget also moves the reserve it
    releases later (domain.md, "The reserve"), so it reaches Y and the years after it, as a
    herijking from Y does (Institution.years_from).
    """
    years = list(inst.years)

    @cache
    def college_ids() -> dict[str, int]:
        return {code.lower(): pk for code, pk in College.objects.filter(institution=inst).values_list("code", "pk")}

    reaches: list[_Reach] = []

    def every(path: str, reached, what: str) -> None:
        """Record a change that moves every college's and the institution's verdicts or cents in `reached`."""
        reached = [year for year in reached if year in inst.years]
        if reached:
            units = every_unit(inst, reached, college_ids().values())
            reaches.append(_Reach(path, units, lambda: refuse_if_approved(institution=inst, units=units, what=what)))

    period = (spec["period"]["start"], spec["period"]["end"])
    if period != (inst.period_start, inst.period_end):
        reaches.append(
            _Reach(
                "period",
                every_unit(inst, years, college_ids().values()),
                lambda: inst.refuse_period_in_locked_years(*period),
            )
        )
    _college_reaches(inst, stored, spec, reaches, college_ids)
    budget_years = {entry["year"] for entry in stored["budget"] + spec["budget"]}
    themes = {theme["code"]: theme for theme in stored["themes"]}
    indicators = {ind["code"]: (theme["code"], ind) for theme in stored["themes"] for ind in theme["indicators"]}
    for k, theme in enumerate(spec["themes"]):
        path, code = f"themes[{k}]", theme["code"]
        old = themes.get(code)
        # The theme's share and `national`: theme_reaches, as Theme.clean asks in the admin.
        before = ThemeTerms(old["budget_share_pct"], old["national"]) if old else None
        after = ThemeTerms(theme["budget_share_pct"], theme["national"])
        for reach in theme_reaches(inst, code, before, after, budget_years):
            every(f"{path}.{reach.key}", reach.years, reach.what)
        # A new theme had no revisions or funds.
        old = old or {"revisions": [], "additional_funds": []}
        shares = {revision["from"]: revision["budget_share_pct"] for revision in old["revisions"]}
        for r, revision in enumerate(theme["revisions"]):
            if shares.get(revision["from"], ABSENT) != revision["budget_share_pct"]:
                every(
                    f"{path}.revisions[{r}]",
                    inst.years_from(revision["from"]),
                    f"Het budgetaandeel van {code} vanaf {revision['from']} verandert het budget",
                )
        for year in sorted(set(shares) - {revision["from"] for revision in theme["revisions"]}):
            if share_label(code, year) in remove:
                every(
                    f"{path}.revisions",
                    inst.years_from(year),
                    f"Zonder de herziening van het budgetaandeel van {code} vanaf {year} verandert het budget",
                )
        _fund_reaches(inst, path, code, old["additional_funds"], theme["additional_funds"], every)
        for m, ind in enumerate(theme["indicators"]):
            _indicator_reaches(inst, f"{path}.indicators[{m}]", code, ind, indicators.get(ind["code"]), remove, every)
    # Each budget row: budget_year_reaches, as BudgetYear.clean asks in the admin.
    budget = {entry["year"]: _budget_terms(entry) for entry in stored["budget"]}
    for i, entry in enumerate(spec["budget"]):
        for reach in budget_year_reaches(inst, budget.get(entry["year"]), _budget_terms(entry)):
            every(f"budget[{i}]", reach.years, reach.what)
    return reaches


def _budget_terms(entry: dict) -> BudgetTerms:
    """Return what of a file's (or the stored spec's) budget row is split."""
    return BudgetTerms(entry["year"], entry["total_cents"], entry["result_dependent_pct"], entry["central_pct"])


def _college_reaches(inst: Institution, stored: dict, spec: dict, reaches: list[_Reach], college_ids) -> None:
    """Add the colleges switched on or off (or added switched on) and the teams whose active years change.

    The rules' homes decide exactly: College.clean and Team.clean, as in the admin and on the team page.
    The units given are a superset: every year for a college, the years a team's activity moves for a team.
    """
    colleges = {college["code"].lower(): college for college in stored["colleges"]}
    teams = {
        team["code"].lower(): (college["code"], team) for college in stored["colleges"] for team in college["teams"]
    }

    def college_check(code: str, active: bool, new: bool) -> Callable[[], None]:
        def check() -> None:
            if new:
                college = College(institution=inst, code=code)
            else:
                college = College.objects.select_related("institution").get(institution=inst, code__iexact=code)
            college.active = active
            college.clean()

        return check

    def team_check(code: str, active_from, active_until) -> Callable[[], None]:
        def check() -> None:
            team = Team.objects.select_related("institution", "college").get(institution=inst, code__iexact=code)
            team.active_from, team.active_until = active_from, active_until
            team.clean()

        return check

    for i, college in enumerate(spec["colleges"]):
        old = colleges.get(college["code"].lower())
        if (old["active"] if old else False) != college["active"]:
            units = every_unit(inst, inst.years, college_ids().values())
            reaches.append(
                _Reach(f"colleges[{i}].active", units, college_check(college["code"], college["active"], old is None))
            )
        for j, team in enumerate(college["teams"]):
            found = teams.get(team["code"].lower())
            if found is None:
                continue  # a new team has no values yet: it moves no verdict
            college_code, stored_team = found
            before = Team(active_from=stored_team["active_from"], active_until=stored_team["active_until"])
            after = Team(active_from=team["active_from"], active_until=team["active_until"])
            moved = [year for year in inst.years if before.is_active(year) != after.is_active(year)]
            if moved:
                pk = college_ids()[college_code.lower()]
                reaches.append(
                    _Reach(
                        f"colleges[{i}].teams[{j}]",
                        [(unit, year) for year in moved for unit in (pk, None)],
                        team_check(team["code"], team["active_from"], team["active_until"]),
                    )
                )


def _fund_reaches(inst: Institution, path: str, code: str, stored: list[dict], funds: list[dict], every) -> None:
    """Add the other funds that change, come or go: fund_reaches, as AdditionalFund.clean asks in the admin.

    The file names a theme's fund by its source and year; a changed note moves no cent.
    """

    def terms(fund: dict) -> FundTerms:
        return FundTerms(fund["amount_cents"], fund["year"], fund["source"], code)

    before = {(fund["source"], fund["year"]): terms(fund) for fund in stored}
    for f, fund in enumerate(funds):
        for reach in fund_reaches(inst, before.pop((fund["source"], fund["year"]), None), terms(fund)):
            every(f"{path}.additional_funds[{f}]", reach.years, reach.what)
    for key in sorted(before, key=lambda key: (key[0], key[1] or 0)):
        for reach in fund_reaches(inst, before[key], None):
            every(f"{path}.additional_funds", reach.years, reach.what)


def _indicator_terms(theme: str, ind: dict) -> IndicatorTerms:
    """Return what a file's (or the stored spec's) indicator is judged on, in theme `theme`."""
    return IndicatorTerms(
        theme,
        ind["polarity"],
        Indicator(levels=ind["levels"]).institution_only,
        (ind["baseline_year"], ind["baseline_value"]),
        bool(ind["composite"]),
    )


def _indicator_reaches(inst: Institution, path: str, theme: str, ind: dict, found, remove: set[str], every) -> None:
    """Add the changes of one indicator that move its verdicts, and with them the budget's K (domain.md).

    Its theme, polarity, levels and baseline, and whether a new one is a composite: indicator_reaches,
    as Indicator.clean asks in the admin. Each revision reaches the years a herijking of it reaches
    on the policy pages (check_ambition_unapproved, applicability_revise, baseline_revise).
    """
    code, years = ind["code"], inst.years_from(None)
    before = _indicator_terms(*found) if found is not None else None
    for reach in indicator_reaches(inst, code, before, _indicator_terms(theme, ind)):
        every(f"{path}.{reach.key}" if reach.key else path, reach.years, reach.what)
    if found is None:
        return
    old = found[1]
    # The file's own list replaces the stored one; without one the stored list stays unless the load removes it.
    before = set(old["colleges"]) if old["colleges"] is not None else None
    if ind["colleges"] is not None:
        after = set(ind["colleges"])
    else:
        after = None if colleges_label(code) in remove else before
    if after != before:
        every(f"{path}.colleges", years, f"De toepasbaarheid van {code} vanaf het begin verandert de oordelen")
    lists = {r["from"]: set(r["colleges"]) for r in old["revisions"] if r["colleges"] is not None}
    baselines = {
        r["from"]: (r["baseline_year"], r["baseline_value"]) for r in old["revisions"] if r["baseline_year"] is not None
    }
    for r, revision in enumerate(ind["revisions"]):
        start = revision["from"]
        if revision["colleges"] is not None and lists.get(start) != set(revision["colleges"]):
            every(
                f"{path}.revisions[{r}].colleges",
                inst.years_from(start),
                f"De toepasbaarheid van {code} vanaf {start} verandert de oordelen",
            )
        if revision["baseline_year"] is not None and baselines.get(start) != (
            revision["baseline_year"],
            revision["baseline_value"],
        ):
            every(
                f"{path}.revisions[{r}].baseline",
                inst.years_from(start),
                f"De nulmeting van {code} vanaf {start} verandert de oordelen",
            )
    given = {r["from"]: r for r in ind["revisions"]}
    for start in sorted(lists):
        if (given.get(start) or {}).get("colleges") is None and colleges_label(code, start) in remove:
            every(
                f"{path}.revisions",
                inst.years_from(start),
                f"Zonder de toepasbaarheid van {code} vanaf {start} veranderen de oordelen",
            )
    for start in sorted(baselines):
        if (given.get(start) or {}).get("baseline_year") is None and baseline_label(code, start) in remove:
            every(
                f"{path}.revisions",
                inst.years_from(start),
                f"Zonder de nulmeting van {code} vanaf {start} veranderen de oordelen",
            )
    ambitions = {a["year"]: a for a in old["ambitions"]}
    for a, ambition in enumerate(ind["ambitions"]):
        current = ambitions.get(ambition["year"])
        if current is None or ambition_value(current) != ambition_value(ambition):
            every(
                f"{path}.ambitions[{a}]",
                _ambition_years(inst, set(ambitions), ambition["year"], ambition["year"]),
                f"De ambitie van {code} voor {ambition['year']} verandert het oordeel",
            )
    if (ind["composite"] is not None or f"indicator {code}: composite" in remove) and _composite_terms(
        old["composite"]
    ) != _composite_terms(ind["composite"]):
        every(f"{path}.composite", years, f"De samenstelling van {code} verandert de oordelen")


def _composite_terms(composite: dict | None):
    """Return what of a composite definition moves its values: weighing by n and each component's weight."""
    if composite is None:
        return None
    return composite["weight_by_n"], sorted((entry["indicator"], entry["weight"]) for entry in composite["components"])


def _load_indicator(
    inst: Institution,
    theme: Theme,
    ind: dict,
    position: int,
    report: LoadReport,
    source: str,
    user,
    overridden: set[str],
    remove: set[str],
) -> None:
    """Load one indicator with its ambitions (as revisions) and factors."""
    # Indicator codes are unique ignoring case (an upload matches them so); the settings a load
    # remembers are named by the code as written, so another spelling is refused, not matched.
    spelled = (
        Indicator.objects.filter(institution=inst, code__iexact=ind["code"])
        .exclude(code=ind["code"])
        .values_list("code", flat=True)
        .first()
    )
    if spelled is not None:
        raise AgendaFileError(
            [
                f"indicator '{ind['code']}': de agenda heeft al indicator '{spelled}' (hoofdletters tellen niet "
                f"mee); schrijf de code als '{spelled}'"
            ]
        )
    indicator = _upsert(
        Indicator,
        {"institution": inst, "code": ind["code"]},
        {
            "theme": theme,
            "name": ind["name"],
            "unit": ind["unit"],
            "polarity": ind["polarity"],
            "levels": ind["levels"],
            "baseline_year": ind["baseline_year"],
            "baseline_value": ind["baseline_value"],
            "description": ind["description"],
            **_optional(f"indicator {ind['code']}", ind, remove),
            **_breakdowns(f"indicator {ind['code']}", ind, remove),
            "position": position,
        },
        report,
        "indicatoren",
    )
    for amb in ind["ambitions"]:
        current = indicator.ambitions.filter(year=amb["year"]).order_by("-revision").first()
        if current is None and amb["revisions"]:
            # A backup restores the herijking history first, oldest revision first.
            for earlier in amb["revisions"]:
                revision = ambition_add(
                    indicator=indicator,
                    year=amb["year"],
                    **{k: earlier[k] for k in ("type", "target", "tolerance", "indicative", "reason")},
                )
                _restore_date(revision, earlier["date"])
                report.created["ambitieversies"] += 1
            ambition_add(
                indicator=indicator,
                year=amb["year"],
                author=user,
                **{k: amb[k] for k in ("type", "target", "tolerance", "indicative", "reason")},
            )
            report.created["ambitieversies"] += 1
            continue
        if current is not None and not _ambition_differs(current, amb):
            continue
        reason = amb["reason"] or (f"gewijzigd in agendabestand {source}" if current else "")
        if f"indicator {ind['code']}: ambitie {amb['year']}" in overridden:
            reason = f"agendabestand {source} wint (--file-wins) van versie {current.revision} uit de applicatie"
        ambition_add(
            indicator=indicator,
            year=amb["year"],
            type=amb["type"],
            target=amb["target"],
            tolerance=amb["tolerance"],
            indicative=amb["indicative"],
            reason=reason,
            author=user,
        )
        report.created["ambities" if current is None else "ambitieversies"] += 1
    _sync_factors(indicator, ind["factors"], report, source, user, f"indicator {ind['code']}: factors" in overridden)


def _sync_factors(indicator: Indicator, factors: list[dict], report: LoadReport, source: str, user, wins: bool) -> None:
    """Make the indicator's factors those of the file, keeping every factor's history (FactorRevision).

    A factor matches by name. A factor of the file without a match takes over a leftover row with
    history, so a factor renamed in the application and named back by the file keeps its revisions.
    `wins`: the file wins (--file-wins) from the application's change of these factors; each row it
    changes or deletes gets a revision that says so, and the revisions of a deleted row stay
    (domain.md, "The agenda changes over time"). Without `wins` _plan has already made sure the
    application changed none of them after the previous load.
    """
    rows = {row.name: row for row in indicator.factors.all()}
    unmatched = [f for f in factors if f["name"] not in rows]
    named = {f["name"] for f in factors}
    spare = [row for name, row in rows.items() if name not in named and row.revisions.exists()]
    reason = f"agendabestand {source or 'bestand'} wint (--file-wins) van de wijziging uit de applicatie"
    for rank, factor in enumerate(factors, start=1):
        row = rows.get(factor["name"])
        if row is None and spare and factor in unmatched:
            row = spare.pop(0)
        values = {**factor, "position": rank}
        if row is None:
            row = Factor.objects.create(indicator=indicator, **values)
            report.created["factoren"] += 1
        else:
            changed = [key for key, value in values.items() if getattr(row, key) != value]
            if not changed:
                continue
            for key in changed:
                setattr(row, key, values[key])
            row.save(update_fields=changed)
            report.updated["factoren"] += 1
        if wins:
            _factor_revision(row, reason, user)
    for row in indicator.factors.exclude(name__in=named):
        if row.revisions.exists():
            # The row goes, its history stays; this last revision says where it belonged and why it went.
            why = reason if wins else f"niet meer in agendabestand {source or 'bestand'}"
            _factor_revision(row, f"verwijderd bij indicator {indicator.code}: {why}", user)
        row.delete()  # its revisions stay: FactorRevision.factor is SET_NULL
        report.removed["factoren"] += 1


def _factor_revision(factor: Factor, reason: str, user) -> FactorRevision:
    """Record a factor's state as a revision with its reason: the one write of a factor's history (load, pages)."""
    return FactorRevision.objects.create(
        factor=factor,
        indicator_id=factor.indicator_id,
        name=factor.name,
        effect=factor.effect,
        description=factor.description,
        reason=reason,
        author=user,
    )


def _optional(label: str, spec: dict, remove: set[str]) -> dict:
    """Return the optional settings (definition, source, choices) the load writes to the row `label`.

    A setting the file gives is written; one the file no longer gives is emptied only when the
    load removes it (the previous load set it, the application left it), so that a value set in
    the application alone is never wiped silently (domain.md, "The agenda changes over time").
    """
    values = {}
    for key in OPTIONAL_SETTINGS:
        if key not in spec:
            continue
        if spec[key]:
            values[key] = spec[key]
        elif f"{label}: {key}" in remove:
            values[key] = [] if key == "choices" else ""
    return values


def _breakdowns(label: str, ind: dict, remove: set[str]) -> dict:
    """Return the breakdowns the load writes to the indicator: the file's, or none when the load removes them."""
    if ind["breakdowns"]:
        return {"breakdowns": ind["breakdowns"]}
    if f"{label}: breakdowns" in remove:
        return {"breakdowns": {}}
    return {}


def _sync_composite(inst: Institution, ind: dict, remove: set[str], report: LoadReport) -> None:
    """Make the indicator's composite definition the file's (issue 18); remove it only when the load removes it.

    Like the optional settings: a composite set in the application alone is never wiped silently.
    """
    composite = ind["composite"]
    if composite is None and f"indicator {ind['code']}: composite" not in remove:
        return
    indicator = Indicator.objects.get(institution=inst, code=ind["code"])
    weight_by_n = bool(composite and composite["weight_by_n"])
    if indicator.composite_weight_by_n != weight_by_n:
        indicator.composite_weight_by_n = weight_by_n
        indicator.save(update_fields=["composite_weight_by_n"])
        report.updated["indicatoren"] += 1
    entries = composite["components"] if composite else []
    ids = dict(
        Indicator.objects.filter(institution=inst, code__in=[e["indicator"] for e in entries]).values_list("code", "id")
    )
    keep = []
    for position, entry in enumerate(entries, start=1):
        row = _upsert(
            CompositeComponent,
            {"composite": indicator, "component_id": ids[entry["indicator"]]},
            {"weight": entry["weight"], "position": position},
            report,
            "componenten",
        )
        keep.append(row.pk)
    report.removed["componenten"] += indicator.components.exclude(pk__in=keep).delete()[0]


def _with_reason(values: dict, reason: str) -> dict:
    """Return `values` plus the file's reason when it gives one (an application's reason is not wiped)."""
    return {**values, "reason": reason} if reason else values


def _sync_share_revisions(theme: Theme, revisions: list[dict], remove: set[str], report: LoadReport) -> None:
    """Make the theme's budget share revisions those of the file (removing only those in `remove`)."""
    for revision in revisions:
        _upsert(
            ThemeShareRevision,
            {"theme": theme, "from_year": revision["from"]},
            _with_reason({"budget_share_pct": revision["budget_share_pct"]}, revision["reason"]),
            report,
            "herzieningen budgetaandeel",
        )
    for row in theme.share_revisions.exclude(from_year__in=[r["from"] for r in revisions]):
        if share_label(theme.code, row.from_year) in remove:
            row.delete()
            report.removed["herzieningen budgetaandeel"] += 1


def _sync_indicator_revisions(inst: Institution, ind: dict, remove: set[str], report: LoadReport) -> None:
    """Make the indicator's college lists and baseline revisions those of the file (removing only those in `remove`)."""
    indicator = Indicator.objects.get(institution=inst, code=ind["code"])
    wanted = {r["from"]: (r["colleges"], r["reason"]) for r in ind["revisions"] if r["colleges"] is not None}
    if ind["colleges"] is not None:
        wanted[None] = (ind["colleges"], "")
    college_ids = dict(College.objects.filter(institution=inst).values_list("code", "id"))
    stored = {row.from_year: row for row in indicator.applicability.prefetch_related("colleges")}
    for year, (codes, reason) in wanted.items():
        ids = {college_ids[code] for code in codes}
        row = stored.get(year)
        if row is None:
            row = Applicability.objects.create(indicator=indicator, from_year=year, reason=reason)
            row.colleges.set(ids)
            report.created["toepasbaarheid"] += 1
        elif {c.pk for c in row.colleges.all()} != ids:
            if reason and row.reason != reason:
                row.reason = reason
                row.save(update_fields=["reason"])
            row.colleges.set(ids)
            report.updated["toepasbaarheid"] += 1
    for year, row in stored.items():
        if year not in wanted and colleges_label(indicator.code, year) in remove:
            row.delete()
            report.removed["toepasbaarheid"] += 1

    baselines = [r for r in ind["revisions"] if r["baseline_year"] is not None]
    for revision in baselines:
        _upsert(
            BaselineRevision,
            {"indicator": indicator, "from_year": revision["from"]},
            _with_reason(
                {"baseline_year": revision["baseline_year"], "baseline_value": revision["baseline_value"]},
                revision["reason"],
            ),
            report,
            "herzieningen nulmeting",
        )
    for row in indicator.baseline_revisions.exclude(from_year__in=[r["from"] for r in baselines]):
        if baseline_label(indicator.code, row.from_year) in remove:
            row.delete()
            report.removed["herzieningen nulmeting"] += 1


def _restore_date(ambition: Ambition, text: str) -> None:
    """Set a restored revision's date from an ISO date in the file (auto_now_add ignores it)."""
    if not text:
        return
    from django.utils.dateparse import parse_datetime

    when = parse_datetime(text)
    if when is not None:
        Ambition.objects.filter(pk=ambition.pk).update(created_at=when)


def _sync_funds(inst: Institution, theme: Theme, funds: list[dict], report: LoadReport) -> None:
    """Make the theme's other additional funds equal to the file's."""
    keep = []
    for fund in funds:
        obj = _upsert(
            AdditionalFund,
            {"institution": inst, "theme": theme, "source": fund["source"], "year": fund["year"]},
            {"amount_cents": fund["amount_cents"], "note": fund["note"]},
            report,
            "additionele middelen",
        )
        keep.append(obj.pk)
    report.removed["additionele middelen"] += theme.additional_funds.exclude(pk__in=keep).delete()[0]


def ambition_add(
    *, indicator: Indicator, year: int, type: str, target=None, tolerance=0, indicative=False, reason="", author=None
) -> Ambition:
    """Store the next revision of an indicator's ambition for `year`: the one write of an ambition.

    Ambitions are never changed or deleted; a herijking adds a revision (domain.md, "Time").
    The loader and ambition_revise (pages, admin) both write through here.
    """
    current = indicator.ambitions.filter(year=year).order_by("-revision").first()
    ambition = Ambition(
        indicator=indicator,
        year=year,
        revision=(current.revision + 1) if current else 1,
        type=type,
        target=target,
        tolerance=tolerance,
        indicative=indicative,
        reason=(reason or "").strip(),
        author=author,
    )
    ambition.full_clean()
    ambition.save()
    return ambition


@transaction.atomic
def ambition_revise(
    *, indicator: Indicator, year: int, type: str, target=None, tolerance=0, indicative=False, reason: str, author=None
) -> Ambition:
    """Add a revision of an indicator's ambition for `year` (herijking) with its reason; the earlier one stays."""
    _check_reason(reason)
    ambition = ambition_add(
        indicator=indicator,
        year=year,
        type=type,
        target=target,
        tolerance=tolerance,
        indicative=indicative,
        reason=reason,
        author=author,
    )
    announce_change(institution=indicator.institution, reason=f"ambitie {indicator.code} {year} herijkt")
    return ambition


@transaction.atomic
def ambitions_revise(
    *,
    indicator: Indicator,
    from_year: int,
    until_year: int,
    type: str,
    target=None,
    tolerance=0,
    indicative=False,
    reason: str,
    author=None,
) -> list[Ambition]:
    """Revise an indicator's ambition for each year from `from_year` through `until_year` (herijking, policy page).

    Each year gets its next revision through ambition_revise; later years keep their own ambition.
    """
    _check_reason(reason)
    _check_from_year(indicator.institution, from_year)
    if until_year < from_year or until_year > indicator.institution.period_end:
        raise ValidationError(
            {"until_year": f"Kies een jaar van {from_year} tot en met {indicator.institution.period_end}."}
        )
    check_ambition_unapproved(indicator, from_year, until_year)
    return [
        ambition_revise(
            indicator=indicator,
            year=year,
            type=type,
            target=target,
            tolerance=tolerance,
            indicative=indicative,
            reason=reason,
            author=author,
        )
        for year in range(from_year, until_year + 1)
    ]


def check_ambition_unapproved(indicator: Indicator, from_year: int, until_year: int) -> None:
    """Raise ValidationError (on from_year) when revising the ambitions of these years reaches an approved year.

    A year without an ambition of its own is judged against the nearest later one (domain.md):
    the earlier years that will borrow from_year's ambition change with it. The policy page
    (ambitions_revise) and the superuser's Ambitie form in the admin ask the same.
    """
    own = set(indicator.ambitions.values_list("year", flat=True))
    _check_unapproved(
        indicator.institution,
        _ambition_years(indicator.institution, own, from_year, until_year),
        f"De ambitie van {indicator.code} vanaf {from_year} verandert het oordeel",
    )


def _ambition_years(institution: Institution, own: set[int], from_year: int, until_year: int) -> list[int]:
    """Return the years whose verdicts a revision of the ambitions of from_year..until_year changes.

    Those years, and the earlier years of the period without an ambition of their own (`own`: the
    years that have one) that borrow from_year's as the nearest later one (domain.md).
    """
    borrowing = []
    for year in sorted((y for y in institution.years if y < from_year), reverse=True):
        if year in own:
            break
        borrowing.append(year)
    return sorted(borrowing) + list(range(from_year, until_year + 1))


def _check_from_year(institution: Institution, from_year: int) -> None:
    """Raise ValidationError unless a revision's first year lies in the agenda period."""
    if not institution.period_start <= from_year <= institution.period_end:
        raise ValidationError(
            {"from_year": f"{from_year} valt buiten de periode {institution.period_start}-{institution.period_end}."}
        )


def _check_reason(reason: str) -> None:
    """Raise ValidationError when a herijking has no reason a reader can see (kern.text: not zero-width spaces)."""
    if not visible_length(reason):
        raise ValidationError({"reason": "Geef de reden van de herijking."})


def _check_unapproved(institution: Institution, years, what: str) -> None:
    """Raise ValidationError (on from_year) when a herijking would change an approved year's verdicts or cents.

    Approved years change only after policy staff reopen them with a reason (domain.md, "Sign-off
    and locking"): a revision from 2020 after 2020 was approved changed what the board had signed
    as vastgesteld. A herijking reaches every college and the institution level of its years.
    """
    refuse_reaches(institution, [Reach("from_year", "", tuple(years), what)])


@transaction.atomic
def theme_share_revise(
    *, theme: Theme, from_year: int, budget_share_pct, reason: str, author=None
) -> ThemeShareRevision:
    """Set a theme's budget share from `from_year` on (herijking); earlier years keep theirs.

    A second revision from the same year replaces the first, which stays in history. Whether the
    shares of all themes still add up is reported with the budget, as for the shares themselves.
    """
    _check_reason(reason)
    _check_from_year(theme.institution, from_year)
    _check_unapproved(
        theme.institution,
        theme.institution.years_from(from_year),
        f"Het budgetaandeel van {theme.code} vanaf {from_year} verandert het budget",
    )
    revision = ThemeShareRevision.objects.filter(theme=theme, from_year=from_year).first() or ThemeShareRevision(
        theme=theme, from_year=from_year
    )
    revision.budget_share_pct, revision.reason, revision.author = budget_share_pct, reason.strip(), author
    revision.full_clean()
    revision.save()
    announce_change(institution=theme.institution, reason=f"budgetaandeel {theme.code} vanaf {from_year} herijkt")
    return revision


@transaction.atomic
def applicability_revise(
    *, indicator: Indicator, from_year: int | None, colleges, reason: str, author=None
) -> Applicability:
    """Set the colleges an indicator applies to from `from_year` on (None: its own list, from the start).

    Earlier years keep their list; a second revision from the same year replaces the first,
    which stays in history.
    """
    _check_reason(reason)
    institution = indicator.institution
    if from_year is not None:
        _check_from_year(institution, from_year)
    when = f"vanaf {from_year}" if from_year is not None else "vanaf het begin"
    _check_unapproved(
        institution,
        institution.years_from(from_year),
        f"De toepasbaarheid van {indicator.code} {when} verandert de oordelen",
    )
    colleges = list(colleges)
    if not colleges:
        raise ValidationError({"colleges": "Kies minstens één college."})
    if any(c.institution_id != institution.pk for c in colleges):
        raise ValidationError({"colleges": "Een college hoort niet bij deze instelling."})
    row = Applicability.objects.filter(indicator=indicator, from_year=from_year).first()
    if row is None:
        row = Applicability.objects.create(
            indicator=indicator, from_year=from_year, reason=reason.strip(), author=author
        )
    else:
        row.reason, row.author = reason.strip(), author
        row.save(update_fields=["reason", "author"])
    row.colleges.set(colleges)
    when = f"vanaf {from_year}" if from_year is not None else "vanaf het begin"
    announce_change(institution=institution, reason=f"toepasbaarheid {indicator.code} {when} herijkt")
    return row


@transaction.atomic
def baseline_revise(
    *, indicator: Indicator, from_year: int, baseline_year: int, baseline_value=None, reason: str, author=None
) -> BaselineRevision:
    """Set an indicator's baseline from `from_year` on (herijking); earlier years keep the original."""
    _check_reason(reason)
    _check_from_year(indicator.institution, from_year)
    _check_unapproved(
        indicator.institution,
        indicator.institution.years_from(from_year),
        f"De nulmeting van {indicator.code} vanaf {from_year} verandert de oordelen",
    )
    revision = BaselineRevision.objects.filter(indicator=indicator, from_year=from_year).first() or BaselineRevision(
        indicator=indicator, from_year=from_year
    )
    revision.baseline_year, revision.baseline_value = baseline_year, baseline_value
    revision.reason, revision.author = reason.strip(), author
    revision.full_clean()
    revision.save()
    announce_change(institution=indicator.institution, reason=f"nulmeting {indicator.code} vanaf {from_year} herijkt")
    return revision


@transaction.atomic
def factor_save(
    *,
    indicator: Indicator,
    factor: Factor | None = None,
    name: str,
    effect: str,
    description="",
    reason: str,
    author=None,
) -> Factor:
    """Add an explanatory factor to an indicator or change one, recording the reason (FactorRevision)."""
    _check_reason(reason)
    if factor is None:
        factor = Factor(indicator=indicator, position=indicator.factors.count() + 1)
    elif factor.indicator_id != indicator.pk:
        raise ValidationError({"factor": f"Deze factor hoort niet bij {indicator.code}."})
    factor.name, factor.effect, factor.description = name.strip(), effect, (description or "").strip()
    factor.full_clean()
    factor.save()
    _factor_revision(factor, reason.strip(), author)
    return factor


def _check_college(user_colleges, college: College) -> None:
    """Raise PermissionDenied unless `college` is among the caller's colleges (None: all)."""
    if user_colleges is not None and college.pk not in user_colleges:
        raise PermissionDenied(f"Geen rechten voor college {college.code}.")


@transaction.atomic
def team_create(
    *, college: College, code: str, name: str, active_from: int | None = None, allowed_colleges=None
) -> Team:
    """Create a team in a college; codes are unique within the institution."""
    _check_college(allowed_colleges, college)
    lock_institution_data(college.institution)  # its years are checked against approvals made until now
    team = Team(
        institution=college.institution, college=college, code=code.strip(), name=name.strip(), active_from=active_from
    )
    team.full_clean()
    team.save()
    return team


# The team page posts both fields; a deactivation moves verdicts and money (domain.md, "Teams
# change over time"), so a save from an older page must not undo one (kern.versions).
versions.FIELDS[Team] = ("name", "active_until")
versions.NAMES[Team] = "Het team"


@transaction.atomic
def team_update(
    *, team: Team, name: str, active_until: int | None, allowed_colleges=None, seen: versions.Read | None = None
) -> Team:
    """Rename a team or set the last year it is active (deactivate from a year on).

    Under the institution's data lock: a year approved while this runs is approved first, and this
    save's check of the approved years (Team.clean) then sees it. `seen` is the team as the page
    showed it: a field someone else changed since keeps their value when the user left it as
    shown, and is refused (StaleEdit, 409) when the user changed it too.
    """
    _check_college(allowed_colleges, team.college)
    lock_institution_data(team.institution)
    versions.lock(team)
    changes = versions.reconcile(team, {"name": name.strip(), "active_until": active_until}, seen)
    for field_name, value in changes.items():
        setattr(team, field_name, value)
    # The code is not changed here: a code stored before the code rule (issue 13) must not keep
    # its team from being renamed or deactivated.
    team.full_clean(exclude=["code"])
    team.save()
    announce_change(institution=team.institution, reason=f"team {team.code} gewijzigd")
    return team


@transaction.atomic
def team_delete(*, team: Team, allowed_colleges=None) -> None:
    """Delete a team that has no data; a team with data can only be deactivated."""
    _check_college(allowed_colleges, team.college)
    lock_institution_data(team.institution)  # a value being saved for it commits first, and is then seen
    # Q-gesprekken of the team are its history too (issue 15, item 4): keep them, like values and evidence.
    if team.measurements.exists() or team.evidence.exists() or team.reviews.exists():
        raise ValidationError("Dit team heeft gegevens en kan niet worden verwijderd; zet het op inactief.")
    team.delete()


# --- Team leaders' teams (issue 15: the teamleider role) ---


def membership_teams_problem(*, institution: Institution, role: str, teams) -> str | None:
    """Return why these teams cannot be a membership's teams, or None (the admin's form asks the same).

    Only a teamleider has teams, and only teams of its own institution: its write scope is them.
    """
    from agenda.choices import Role

    teams = list(teams)
    if teams and role != Role.TEAM_LEADER:
        return "Alleen een teamleider heeft teams; laat de teams leeg voor deze rol."
    foreign = sorted(team.code for team in teams if team.institution_id != institution.pk)
    if foreign:
        return f"Teams van een andere instelling: {', '.join(foreign)}. Kies teams van {institution.code}."
    return None


@transaction.atomic
def membership_teams_set(*, membership, teams) -> None:
    """Set the teams a teamleider writes values for, after checking they belong to its institution."""
    teams = list(teams)
    problem = membership_teams_problem(institution=membership.institution, role=membership.role, teams=teams)
    if problem:
        raise ValidationError({"teams": problem})
    membership.teams.set(teams)
