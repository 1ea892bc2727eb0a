"""The pieces of an incremental recompute (issue 16): input digests, building some bodies, verdict views.

On one synthetic institution (bench.engine_data): building only some (indicator, year) gives exactly
those bodies of a full build; the budget reads the same verdicts from the views as from whole bodies;
an input digest moves with any row of its (indicator, year) and with a name the body shows, and only
then.
"""

import pandas as pd
import pytest

from bench.engine_data import AGENDA_YEARS, engine_frames, sector
from rapportage.engine import payload
from rapportage.engine.attainment import Attainment, evaluate
from rapportage.engine.budget import budget_verdicts
from rapportage.engine.payload import (
    status_input_digests,
    status_payloads,
    status_payloads_by_version,
    verdict_views,
)


@pytest.fixture(scope="module")
def judged():
    """One synthetic institution judged by the engine, with the names its bodies show."""
    frames = engine_frames(sector(1))
    _, att = evaluate(
        frames.measurements, frames.indicators, frames.ambitions["current"], frames.colleges, AGENDA_YEARS
    )
    meta = {
        "indicators": {
            int(i): {"code": f"I{i}", "name": f"indicator {i}", "theme": f"T{i % 3}", "polarity": "higher"}
            for i in frames.indicators["indicator"]
        },
        "colleges": {
            int(c): {"code": f"C{c}", "name": f"college {c}", "active": True} for c in frames.colleges["college"]
        },
        "teams": {int(t): f"team-{t}" for t in frames.measurements["team"].dropna().unique()},
    }
    return att, meta


def test_building_some_bodies_gives_exactly_those_of_a_full_build(judged):
    """`only` builds the asked (indicator, year) and nothing else, each equal to the full build's body."""
    att, meta = judged
    full = status_payloads(att, **meta)
    some = set(list(full)[::7])
    assert status_payloads(att, **meta, only=some) == {key: full[key] for key in some}
    assert status_payloads(att, **meta, only=set()) == {}


def test_the_budget_reads_the_same_verdicts_from_the_views(judged):
    """budget_verdicts of the verdict views equals that of the whole bodies, every year."""
    att, meta = judged
    full = status_payloads(att, **meta).values()
    views = verdict_views(att, indicators=meta["indicators"], colleges=meta["colleges"])
    assert len(views) == len(full)
    for year in AGENDA_YEARS:
        assert budget_verdicts(views, year) == budget_verdicts(full, year)


def _with_row_changed(att: Attainment, frame: str, column: str, position: int, value) -> Attainment:
    """Return `att` with one cell of one of its frames changed."""
    changed = getattr(att, frame).copy()
    changed.iloc[position, changed.columns.get_loc(column)] = value
    return Attainment(**{name: changed if name == frame else getattr(att, name) for name in att.__dataclass_fields__})


@pytest.mark.parametrize(
    ("frame", "column", "value"),
    [
        ("teams", "value", 1),  # a team's value
        ("teams", "college", None),  # the college a team counted under
        ("teams", "contributed", pd.NA),  # a team's verdict
        ("colleges", "basis", "not_applicable"),  # where the indicator applies
        ("indicators", "ambition_id", 999_999),  # another ambition revision
    ],
)
def test_an_input_digest_moves_with_any_row_of_its_indicator_and_year_only(judged, frame, column, value):
    """One cell of one (indicator, year) changes that digest and no other."""
    att, meta = judged
    before = status_input_digests(att, **meta)
    rows = getattr(att, frame)
    position = len(rows) // 2
    key = (int(rows["indicator"].iloc[position]), int(rows["year"].iloc[position]))
    if column == "college":
        value = int(rows["college"].iloc[position]) + 1
    after = status_input_digests(_with_row_changed(att, frame, column, position, value), **meta)
    assert after.keys() == before.keys()
    assert {k for k in before if before[k] != after[k]} == {key}


def test_a_name_a_body_shows_moves_every_digest(judged):
    """A renamed college or team, or another indicator name, moves the digests (the bodies show them)."""
    att, meta = judged
    before = status_input_digests(att, **meta)
    assert status_input_digests(att, **meta) == before  # deterministic
    college = next(iter(meta["colleges"]))
    renamed = {**meta, "colleges": {**meta["colleges"], college: {**meta["colleges"][college], "name": "anders"}}}
    assert all(before[k] != v for k, v in status_input_digests(att, **renamed).items())
    team = next(iter(meta["teams"]))
    recoded = {**meta, "teams": {**meta["teams"], team: "team-anders"}}
    assert all(before[k] != v for k, v in status_input_digests(att, **recoded).items())


def test_two_versions_with_the_same_inputs_share_one_body_and_each_gets_its_full_builds_bodies(judged, monkeypatch):
    """status_payloads_by_version: each version's bodies equal its own full build, in its order; equal inputs, one build.

    The original version differs from the current one in one team's value of one (indicator, year):
    that body is built for both, every other body once and shared (the same object).
    """
    att, meta = judged
    rows = att.teams
    position = len(rows) // 3
    moved = (int(rows["indicator"].iloc[position]), int(rows["year"].iloc[position]))
    original = _with_row_changed(att, "teams", "value", position, 1)
    versions = {"current": att, "original": original}
    digests = {version: status_input_digests(a, **meta) for version, a in versions.items()}
    assert {key for key in digests["current"] if digests["current"][key] != digests["original"][key]} == {moved}
    asked = []
    build = payload.status_payloads

    def counted(a, **kwargs):
        asked.append(set(kwargs["only"]))
        return build(a, **kwargs)

    monkeypatch.setattr(payload, "status_payloads", counted)
    every = {version: set(d) for version, d in digests.items()}
    by_version = status_payloads_by_version(versions, **meta, digests=digests, only=every)
    monkeypatch.undo()
    assert asked == [every["current"], {moved}]
    for version, a in versions.items():
        full = status_payloads(a, **meta)
        assert list(by_version[version]) == list(full)  # the order a full build gives
        assert by_version[version] == full
    shared = {key for key in every["current"] if by_version["original"][key] is by_version["current"][key]}
    assert shared == every["current"] - {moved}
    # Asked for some keys only: exactly those, still shared where the inputs agree.
    some = set(list(every["current"])[::5]) | {moved}
    part = status_payloads_by_version(versions, **meta, digests=digests, only={"current": some, "original": some})
    assert {version: set(bodies) for version, bodies in part.items()} == {"current": some, "original": some}
    assert all(part[version][key] == by_version[version][key] for version in versions for key in some)


def test_each_college_lists_its_teams_by_code_equal_codes_in_the_engine_order(judged):
    """Teams appear sorted by code (the order the pages show); two teams with one code keep the engine's order."""
    att, meta = judged
    team_ids = sorted(meta["teams"])
    # Codes that sort against the ids, and one code shared by the first two teams.
    teams = {team: f"code-{len(team_ids) - rank:04d}" for rank, team in enumerate(team_ids)}
    teams[team_ids[1]] = teams[team_ids[0]]
    bodies = status_payloads(att, indicators=meta["indicators"], colleges=meta["colleges"], teams=teams)
    ties = 0
    for (indicator, year), body in bodies.items():
        for college in body["colleges"]:
            codes = [entry["team"] for entry in college["teams"]]
            assert codes == sorted(codes)
            tied = [entry["value"] for entry in college["teams"] if entry["team"] == teams[team_ids[0]]]
            if len(tied) == 2:
                t = att.teams
                rows = t[(t["indicator"] == indicator) & (t["year"] == year) & t["team"].isin(team_ids[:2])]
                assert tied == [payload._number(value) for value in rows["value"]]
                ties += 1
    assert ties > 0


def test_a_team_without_a_code_is_an_error_not_a_body_without_it(judged):
    """A team row whose id has no code stops the build (a body never lists a team it cannot name)."""
    att, meta = judged
    teams = dict(meta["teams"])
    del teams[next(iter(sorted(teams)))]
    with pytest.raises(KeyError, match="team"):
        status_payloads(att, indicators=meta["indicators"], colleges=meta["colleges"], teams=teams)
