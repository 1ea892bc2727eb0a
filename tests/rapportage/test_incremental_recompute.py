"""A recompute builds only the STATUS bodies whose inputs changed, and never keeps one whose inputs did (issue 16).

The first kind of test says the work is skipped: a value of one indicator in one year rebuilds
that indicator's rows of that year, every other row keeps its id and is not even built. The second
kind guards correctness: after each change to something a body depends on (a value, a team's
college in one year, a team's active years, an ambition revision, where an indicator applies, a
college's name) every stored body equals the one a from-scratch evaluation gives.
"""

from decimal import Decimal

import pytest

from agenda.models import Ambition, Applicability, College, Indicator, Team
from indicatoren.models import Measurement
from rapportage import selectors, services
from rapportage.engine import exact_json
from rapportage.engine import payload as engine_payload
from rapportage.models import ContributionChange, IndicatorResult, RunState, VerdictChange, Version

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch):
    """Record which (indicator id, year) each status_payloads call of the recompute was asked to build."""
    calls = []
    original = engine_payload.status_payloads

    def spy(att, **kwargs):
        payloads = original(att, **kwargs)
        calls.append(set(payloads))
        return payloads

    # The engine's own name: status_payloads_by_version calls it once per version.
    monkeypatch.setattr(engine_payload, "status_payloads", spy)
    monkeypatch.setattr(services, "status_payloads", spy)
    return calls


def recompute(institution):
    """Recompute through the public path and check that the run is done."""
    run = services.recompute_now(institution=institution, reason="test")
    assert run.state == RunState.DONE, run.error
    return run


def rows(institution) -> dict[tuple, tuple]:
    """Return {(indicator id, year, version): (id, digest)} of the stored STATUS rows."""
    return {
        (r.indicator_id, r.year, r.version): (r.pk, r.digest)
        for r in IndicatorResult.objects.filter(institution=institution)
    }


def _canonical(payload: dict) -> str:
    """Return a body as canonical JSON: every digit, sorted keys (PostgreSQL's jsonb keeps its own key order)."""
    return exact_json.dumps(exact_json.loads(exact_json.store_text(payload)), sort_keys=True, separators=(",", ":"))


def assert_stored_equals_fresh(institution) -> None:
    """Every stored STATUS body is exactly the one the engine gives from scratch, and none is missing or extra."""
    fresh = services.evaluate_institution(institution)["statuses"]
    expected = {
        (indicator, year, version): _canonical(payload)
        for version, payloads in fresh.items()
        for (indicator, year), payload in payloads.items()
    }
    stored = {
        (r.indicator_id, r.year, r.version): _canonical(r.payload)
        for r in IndicatorResult.objects.filter(institution=institution)
    }
    assert stored.keys() == expected.keys()
    differ = sorted(key for key in expected if stored[key] != expected[key])
    assert not differ, f"stored bodies differ from a fresh evaluation: {differ[:5]}"


@pytest.fixture
def demo(rocvaf_demo):
    """The demo institution, recomputed once so that every row carries its input digest."""
    recompute(rocvaf_demo)
    return rocvaf_demo


def indicator(institution, code: str) -> Indicator:
    """Return the demo's indicator `code`."""
    return Indicator.objects.get(institution=institution, code=code)


def test_a_value_of_one_indicator_in_one_year_rebuilds_only_its_rows(demo, built):
    """1a's team values of 2022 move: only (1a, 2022) is built, in both versions; every other row keeps its id."""
    before = rows(demo)
    recompute(demo)
    assert built == [set(), set()]  # nothing changed: nothing built
    assert rows(demo) == before
    built.clear()
    one_a = indicator(demo, "1a")
    moved = list(Measurement.objects.filter(indicator=one_a, year=2022, level="team"))
    assert moved
    for row in moved:
        row.value += Decimal("0.1") if row.value < 50 else Decimal("-0.1")
    Measurement.objects.bulk_update(moved, ["value"])
    recompute(demo)
    # The original version's body is built only if its inputs differ from the current one's (herijking).
    digests = dict(IndicatorResult.objects.filter(indicator=one_a, year=2022).values_list("version", "input_digest"))
    shared = digests[Version.CURRENT] == digests[Version.ORIGINAL]
    assert built == [{(one_a.pk, 2022)}, set() if shared else {(one_a.pk, 2022)}]
    after = rows(demo)
    assert after.keys() == before.keys()
    rebuilt = {key for key in before if after[key][0] != before[key][0]}
    assert rebuilt <= {(one_a.pk, 2022, Version.CURRENT), (one_a.pk, 2022, Version.ORIGINAL)}
    assert (one_a.pk, 2022, Version.CURRENT) in rebuilt
    assert_stored_equals_fresh(demo)


def test_a_result_without_an_input_digest_is_built_again_and_kept(demo, built):
    """A row stored before input digests (empty) is built, compared by its text, kept, and not built the next time."""
    before = rows(demo)
    IndicatorResult.objects.filter(institution=demo).update(input_digest="")
    recompute(demo)
    # Every body is built, once for both versions where their inputs agree (status_payloads_by_version).
    distinct = set(IndicatorResult.objects.filter(institution=demo).values_list("indicator_id", "year", "input_digest"))
    assert len(before) > len(distinct)
    assert sum(len(keys) for keys in built) == len(distinct)
    assert rows(demo) == before  # the same bodies: the rows stay
    assert not IndicatorResult.objects.filter(institution=demo, input_digest="").exists()
    built.clear()
    recompute(demo)
    assert built == [set(), set()]


def _changed_by(demo, change) -> set:
    """Apply `change`, recompute, check every stored body against a fresh evaluation; return the rebuilt keys."""
    before = rows(demo)
    change()
    recompute(demo)
    assert_stored_equals_fresh(demo)
    after = rows(demo)
    return {key for key in before.keys() & after.keys() if after[key] != before[key]} | (before.keys() ^ after.keys())


def test_a_team_moving_to_another_college_in_one_year_rebuilds_what_it_touches(demo):
    """Membership over time: a team's 2022 values counted under another college change that year's bodies."""
    team = Team.objects.filter(institution=demo).order_by("code").first()
    other = College.objects.filter(institution=demo).exclude(pk=team.college_id).order_by("code").first()

    def move():
        assert Measurement.objects.filter(team=team, year=2022).update(college=other)

    assert _changed_by(demo, move)


def test_a_team_stopping_early_rebuilds_what_it_touches(demo):
    """A team active until 2020 no longer counts in 2021 and 2022 (domain.md, which teams count)."""
    team = Team.objects.filter(institution=demo, measurements__year=2022).order_by("code").first()

    def stop():
        Team.objects.filter(pk=team.pk).update(active_until=2020)

    changed = _changed_by(demo, stop)
    assert changed and {year for _, year, _ in changed} <= {2021, 2022}


def test_an_ambition_revision_rebuilds_the_current_version_only(demo):
    """A herijking of 1a's 2022 target: the current bodies of 1a move, the original version stays."""
    one_a = indicator(demo, "1a")
    first = Ambition.objects.filter(indicator=one_a, year=2022).order_by("-revision").first()

    def revise():
        Ambition.objects.create(
            indicator=one_a,
            year=2022,
            revision=first.revision + 1,
            type=first.type,
            target=(first.target or Decimal(0)) + 5,
            tolerance=first.tolerance,
            indicative=first.indicative,
        )

    changed = _changed_by(demo, revise)
    assert changed and all(version == Version.CURRENT for _, _, version in changed)


def test_where_an_indicator_applies_rebuilds_its_bodies(demo):
    """An applicability list from 2021 on leaves one college out of 1a: 1a's 2021 and 2022 bodies move."""
    one_a = indicator(demo, "1a")
    colleges = list(College.objects.filter(institution=demo).order_by("code"))

    def narrow():
        applicability = Applicability.objects.create(indicator=one_a, from_year=2021, reason="test")
        applicability.colleges.set(colleges[1:])

    changed = _changed_by(demo, narrow)
    assert {(key[0], key[1]) for key in changed} >= {(one_a.pk, 2021), (one_a.pk, 2022)}


def test_a_college_renamed_rebuilds_the_bodies_that_name_it(demo):
    """A body shows the college's name: renaming it moves every body that lists the college."""
    college = College.objects.filter(institution=demo).order_by("code").first()

    def rename():
        College.objects.filter(pk=college.pk).update(name=f"{college.name} (hernoemd)")

    assert _changed_by(demo, rename)


def test_a_replaced_body_is_read_back_for_flips_only_when_its_verdicts_may_have_changed(demo, monkeypatch):
    """A value moving within every verdict rewrites its body but reads no stored body back (verdict_digest)."""
    reads = []
    original = selectors.stored_verdicts

    def spy(institution, ids=None):
        reads.append(sorted(ids))
        return original(institution, ids)

    monkeypatch.setattr(selectors, "stored_verdicts", spy)
    one_a = indicator(demo, "1a")
    key = (one_a.pk, 2022, Version.CURRENT)
    row = Measurement.objects.filter(indicator=one_a, year=2022, level="team").order_by("pk").first()

    def nudge(step: str) -> int:
        """Move the team value by a millionth, recompute; return the replaced current row's old id."""
        old = rows(demo)[key][0]
        row.value += Decimal(step)
        Measurement.objects.bulk_update([row], ["value"])
        run = recompute(demo)
        assert rows(demo)[key][0] != old  # the body shows the value: it was rewritten
        # Within every verdict: nothing flipped, at any level (the premise of this test).
        assert not VerdictChange.objects.filter(run=run).exists()
        assert not ContributionChange.objects.filter(run=run).exists()
        return old

    nudge("0.000001")
    assert reads == []
    # Rows stored before their signature (migration 0011) are read back and compared as before.
    IndicatorResult.objects.filter(institution=demo).update(verdict_digest="")
    old = nudge("-0.000001")
    assert reads == [[old]]
    assert_stored_equals_fresh(demo)
