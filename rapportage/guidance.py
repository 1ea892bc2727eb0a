"""What each team needs to contribute (issue 15, item 1): reads for the grid, the college page and the team page.

A director who enters results should see, per team and indicator, the team's reference, the
value it needs under the team rule (domain.md step 2), whether it contributes now, and the rule
in plain Dutch. The numbers come from the engine (`attainment.team_needed`, the same `_needed`
the recompute stores in the STATUS); the words from `engine/words.py`. This module only
gathers the facts: the stored STATUS, and for a team the STATUS does not list (no value yet, or
not recomputed yet) its own value in the baseline year, else its college's (`teams_reference`).
"""

from dataclasses import dataclass
from decimal import Decimal

from agenda.choices import Level, Polarity
from agenda.models import College, Team
from indicatoren.models import Measurement
from rapportage.engine import words
from rapportage.engine.attainment import TeamNeed, team_contributes, team_needed
from rapportage.selectors import status_body


def _dec(number) -> Decimal | None:
    """Return a JSON number of a STATUS as an exact Decimal (its printed digits)."""
    return None if number is None else Decimal(str(number))


@dataclass
class TeamGuidance:
    """One team's position on one indicator in one year."""

    team: str
    indicator: str
    value: Decimal | None
    reference: Decimal | None
    reference_own: bool
    need: TeamNeed | None
    contributes: bool | None  # None: no value yet (or nothing can be known)

    kind: str = ""
    d: int = 1
    target: Decimal | None = None
    baseline: Decimal | None = None
    tolerance: Decimal | None = None
    baseline_year: int | None = None

    @property
    def state(self) -> str:
        """Return "draagt bij", "draagt niet bij" or "nog geen waarde"."""
        if self.value is None:
            return words.TEAM_STATE_WORDS[None]
        return words.TEAM_STATE_WORDS[bool(self.contributes)]

    @property
    def state_class(self) -> str:
        """Return the CSS class of the state (the verdict colours, never colour alone)."""
        return {True: "met", False: "notmet"}.get(self.contributes if self.value is not None else None, "none")

    @property
    def hint(self) -> str:
        """Return the compact line under a grid cell ("ref. 6,5 · nodig ≥ 6,6 · nog 0,1 nodig")."""
        return words.team_hint(self.reference, self.need, self.value)

    @property
    def needed_text(self) -> str:
        """Return the needed value with its comparison ("≥ 6,6"), or "" when unknown."""
        if self.need is None:
            return ""
        return f"{words.need_symbol(self.need.d, self.need.strict)} {words.nl_number(self.need.value)}"

    @property
    def short(self) -> str:
        """Return how much more the team needs ("nog 0,1 nodig"), "" when it contributes or has no value."""
        return words.short_words(self.need, self.value)

    @property
    def sentence(self) -> str:
        """Return the full explanation: what the reference is and the rule with this team's numbers."""
        reference = words.reference_sentence(self.reference, self.reference_own, self.baseline_year)
        rule = words.rule_sentence(
            self.kind, self.d, self.reference, self.target, self.baseline, self.tolerance, self.need
        )
        return f"{reference} {rule}"


@dataclass
class IndicatorGuidance:
    """One team-level indicator of a college in a year: the STATUS facts and the college entry."""

    code: str
    status: dict
    college: dict | None

    @property
    def teams_needed_text(self) -> str:
        """Return how many more contributing teams the college needs for two-thirds, or ""."""
        entry = self.college
        if not entry or entry.get("met") is not False or entry.get("basis") != "teams":
            return ""
        return words.teams_needed_words(entry["teams_needed"])


def _guide(status: dict, entry: dict | None, team: str, value, own_reference) -> TeamGuidance:
    """Return one team's guidance from the STATUS facts, its stored value and its own value in B."""
    listed = next((t for t in (entry or {}).get("teams", []) if t["team"] == team), None)
    if listed is not None:
        # The engine's reference for a judged team: one home, whatever its source.
        reference = _dec(listed["reference"])
    elif own_reference is not None:
        reference = own_reference
    else:
        reference = _dec((entry or {}).get("teams_reference"))
    kind = status["ambition_type"]
    d = -1 if status["polarity"] == Polarity.LOWER else 1
    target, baseline, tolerance = _dec(status["target"]), _dec(status["baseline"]), _dec(status["tolerance"])
    need = team_needed(kind, d, reference, target, baseline, tolerance)
    if value is None:
        contributes = None
    else:
        # Step 2's own test (`_unit_test`), not a second comparison against the threshold.
        contributes = team_contributes(kind, d, value, reference, target, baseline, tolerance)
        if contributes is None and listed is not None:
            contributes = listed["contributed"]
    return TeamGuidance(
        team=team,
        indicator=status["indicator"],
        value=value,
        reference=reference,
        reference_own=own_reference is not None,
        need=need,
        contributes=contributes,
        kind=kind,
        d=d,
        target=target,
        baseline=baseline,
        tolerance=tolerance,
        baseline_year=status["baseline_year"],
    )


def college_guidance(college: College, year: int, teams: list[Team] | None = None, *, body: dict | None = None) -> dict:
    """Return {"indicators": {code: IndicatorGuidance}, "teams": {(team code, indicator code): TeamGuidance}}.

    `teams` defaults to the teams the STATUS lists for the college; the grid passes its active
    teams so that a team without a value yet gets its guidance too. `body` is the year's
    status_body when the caller has read it already (the grid: one read per page).
    """
    if body is None:
        body = status_body(college.institution, year)
    indicators, entries = {}, {}
    for status in body["indicators"]:
        if status["institution_only"] or status["ambition_type"] in (None, "monitor"):
            continue
        entry = next((c for c in status["colleges"] if c["college"] == college.code), None)
        if entry is None or entry.get("basis") == "not_applicable":
            continue
        indicators[status["indicator"]] = IndicatorGuidance(code=status["indicator"], status=status, college=entry)
        entries[status["indicator"]] = entry
    if teams is None:
        codes = sorted({t["team"] for entry in entries.values() for t in entry.get("teams", [])})
    else:
        codes = [team.code for team in teams]
    stored = {}
    baseline_years = {code: g.status["baseline_year"] for code, g in indicators.items()}
    rows = Measurement.objects.filter(
        level=Level.TEAM,
        # The team's own value in B counts whatever its college was then (domain.md, "Fine print").
        team__college=college,
        team__code__in=codes,
        indicator__code__in=list(indicators),
        indicator__institution=college.institution,
        year__in={year, *baseline_years.values()},
    ).values_list("team__code", "indicator__code", "year", "value")
    for team, indicator, row_year, value in rows:
        stored[(team, indicator, row_year)] = value
    guidance = {}
    for code, item in indicators.items():
        for team in codes:
            value = stored.get((team, code, year))
            own = stored.get((team, code, baseline_years[code]))
            guidance[(team, code)] = _guide(item.status, item.college, team, value, own)
    return {"indicators": indicators, "teams": guidance}
