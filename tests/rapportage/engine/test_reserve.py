"""The reserve ledger (manifesto principle 8, domain.md "The reserve"): reserved, released later, not realised."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rapportage.engine.budget import (
    ReserveEntry,
    ThemeShare,
    budget_verdicts,
    reserve_ledger,
    split_budget,
)
from rapportage.engine.payload import budget_payload
from tests.rapportage.engine import rowwise_reserve

PERIOD_END = 2022


def status(code, year, met, theme="T1", attained=True, institution_only=False):
    """Return a minimal STATUS body; `met` maps college code to True, False, None or "n/a"."""
    return {
        "indicator": code,
        "theme": theme,
        "year": year,
        "attained": attained,
        "institution_only": institution_only,
        "colleges": [
            {"college": c, "met": None, "basis": "not_applicable"}
            if m == "n/a"
            else {"college": c, "met": m, "basis": "teams"}
            for c, m in met.items()
        ],
    }


def ledger(statuses, years=(2019, 2020, 2021, 2022), colleges=None, total=1000, period_end=PERIOD_END):
    """Return the budget bodies per year of one theme (100 %) over college 5100 (or `colleges`), 25 %."""
    verdicts = {year: budget_verdicts(statuses, year) for year in years}
    splits = [
        split_budget(
            year=year,
            total_cents=total,
            result_dependent_pct=Decimal(25),
            central_pct=Decimal(0),
            themes=[ThemeShare("T1", Decimal(100))],
            colleges=(colleges or {}).get(year, ["5100"]),
            students={},
            verdicts=verdicts[year],
        )
        for year in years
    ]
    return {split.year: budget_payload("X", split) for split in reserve_ledger(splits, verdicts, period_end)}


def college(body, code="5100", theme="T1"):
    """Return a college's entry in a budget body."""
    [entry] = [c for t in body["themes"] if t["theme"] == theme for c in t["colleges"] if c["college"] == code]
    return entry


def test_a_reserved_portion_is_released_in_the_first_later_year_the_college_meets_it():
    """2019's portion of 2b, missed then and in 2020, is released in 2021 tagged (2019, 2b), not again."""
    statuses = [
        status("2a", 2019, {"5100": True}),
        status("2b", 2019, {"5100": False}),
        status("2a", 2020, {"5100": True}),
        status("2b", 2020, {"5100": False}),
        status("2a", 2021, {"5100": True}),
        status("2b", 2021, {"5100": True}),
        status("2a", 2022, {"5100": True}),
        status("2b", 2022, {"5100": True}),
    ]
    bodies = ledger(statuses)
    # R = floor(1000 * 25 %) = 250: portions 125 + 125.
    assert [college(bodies[y])["reserved_cents"] for y in bodies] == [125, 125, 0, 0]
    assert college(bodies[2020])["reserve_releases"] == []
    assert college(bodies[2020])["reserve_open"] == [
        {"from_year": 2019, "indicator": "2b", "cents": 125},
        {"from_year": 2020, "indicator": "2b", "cents": 125},
    ]
    c2021 = college(bodies[2021])
    assert c2021["released_cents"] == 250  # this year's portions, as before
    assert c2021["released_from_reserve_cents"] == 250
    assert c2021["reserve_releases"] == [
        {"from_year": 2019, "indicator": "2b", "cents": 125},
        {"from_year": 2020, "indicator": "2b", "cents": 125},
    ]
    assert (c2021["reserve_open_cents"], bodies[2021]["reserve_open_cents"]) == (0, 0)
    assert bodies[2021]["released_from_reserve_cents"] == bodies[2021]["themes"][0]["released_from_reserve_cents"]
    assert college(bodies[2022])["reserve_releases"] == []
    assert bodies[2022]["not_realised_cents"] == 0


def test_a_year_without_a_verdict_leaves_the_portion_open():
    """Monitor, no data or not applicable in a later year release nothing; the portion stays open."""
    statuses = [
        status("2b", 2019, {"5100": False}),
        status("2b", 2020, {"5100": None}, attained=None),  # monitor or no data
        status("2b", 2021, {"5100": "n/a"}),  # the herijking took 2b away from this college
        status("2c", 2021, {"5100": True}),  # another indicator met: releases only its own portion
    ]
    bodies = ledger(statuses)
    for year in (2020, 2021):
        entry = college(bodies[year])
        assert entry["reserve_releases"] == []
        assert entry["reserve_open"] == [{"from_year": 2019, "indicator": "2b", "cents": 250}]
    assert college(bodies[2021])["indicators_judged"] == 1  # 2b does not apply any more: K = 1


def test_a_year_without_a_budget_row_releases_nothing():
    """Met in 2020 without a 2020 budget row: the 2019 portion waits for a budget year in which it is met."""
    statuses = [
        status("2b", 2019, {"5100": False}),
        status("2b", 2020, {"5100": True}),
        status("2b", 2021, {"5100": False}),
        status("2b", 2022, {"5100": True}),
    ]
    bodies = ledger(statuses, years=(2019, 2021, 2022))
    assert college(bodies[2021])["reserve_open_cents"] == 500
    assert college(bodies[2022])["reserve_releases"] == [
        {"from_year": 2019, "indicator": "2b", "cents": 250},
        {"from_year": 2021, "indicator": "2b", "cents": 250},
    ]


def test_what_is_open_after_the_last_budget_year_is_not_realised():
    """The period's last budget year lists each portion still open as not realised; earlier years say null."""
    statuses = [status(code, year, {"5100": False}) for code in ("I10", "I2") for year in (2019, 2020, 2021, 2022)]
    bodies = ledger(statuses)
    assert [bodies[y]["not_realised_cents"] for y in bodies] == [None, None, None, 1000]
    last = college(bodies[2022])
    assert last["not_realised_cents"] == last["reserve_open_cents"] == 1000
    assert last["not_realised"][:2] == [
        {"from_year": 2019, "indicator": "I10", "cents": 125},
        {"from_year": 2019, "indicator": "I2", "cents": 125},
    ]
    assert college(bodies[2021])["not_realised"] == []
    assert bodies[2022]["themes"][0]["not_realised_cents"] == 1000


def test_portions_of_no_cents_are_not_kept():
    """R = 1 cent over two indicators: the second portion is 0 cents and never appears in the ledger."""
    statuses = [status(code, 2019, {"5100": False}) for code in ("a", "b")]
    bodies = ledger(statuses, years=(2019,), total=4)  # R = floor(4 * 25 %) = 1
    entry = college(bodies[2019])
    assert entry["portions"] == [
        {"indicator": "a", "cents": 1, "met": False},
        {"indicator": "b", "cents": 0, "met": False},
    ]
    assert entry["reserve_open"] == [{"from_year": 2019, "indicator": "a", "cents": 1}]


def test_a_college_without_a_part_keeps_its_open_reserve_in_view():
    """A college left out of a later year's split still shows its open reserve, with amount 0."""
    statuses = [status("2b", 2019, {"5100": False, "5200": False}), status("2b", 2020, {"5200": True})]
    bodies = ledger(statuses, years=(2019, 2020), colleges={2019: ["5100", "5200"], 2020: ["5200"]})
    gone = college(bodies[2020], "5100")
    assert (gone["amount_cents"], gone["reserve_open_cents"], gone["not_realised_cents"]) == (0, 125, 125)
    assert college(bodies[2020], "5200")["released_from_reserve_cents"] == 125


def test_budget_years_after_the_period_end_take_no_part():
    """A budget row after the period end (the loader refuses those) neither releases nor is final."""
    statuses = [status("2b", 2022, {"5100": False}), status("2b", 2023, {"5100": True})]
    bodies = ledger(statuses, years=(2022, 2023))
    assert bodies[2022]["not_realised_cents"] == 250
    assert college(bodies[2023])["reserve_releases"] == []
    assert bodies[2023]["not_realised_cents"] is None


def test_the_ledger_leaves_its_input_unchanged():
    """reserve_ledger returns new splits: the year's splits given to it keep an empty ledger."""
    statuses = [status("2b", 2019, {"5100": False}), status("2b", 2020, {"5100": True})]
    verdicts = {year: budget_verdicts(statuses, year) for year in (2019, 2020)}
    splits = [
        split_budget(
            year=year,
            total_cents=1000,
            result_dependent_pct=Decimal(25),
            central_pct=Decimal(0),
            themes=[ThemeShare("T1", Decimal(100))],
            colleges=["5100"],
            students={},
            verdicts=verdicts[year],
        )
        for year in (2020, 2019)  # any order
    ]
    result = reserve_ledger(splits, verdicts, PERIOD_END)
    assert [split.year for split in result] == [2019, 2020]
    assert result[1].themes[0].colleges[0].reserve_releases == [ReserveEntry(2019, "2b", 250)]
    assert all(part.reserve_releases == [] for split in splits for part in split.themes[0].colleges)


# Property test: any input, the engine equals the row-by-row reference and the invariant holds.

CODES = ["I1", "I10", "I2", "2b", "3a"]  # "I10" sorts before "I2"
COLLEGES = ["5100", "5110", "5200", "5300"]
TOTALS = [0, 1, 3, 7, 99, 1001, 123_457, 2_800_000_000]
PERCENTAGES = [Decimal(0), Decimal("2.5"), Decimal("12.5"), Decimal(25)]


@st.composite
def ledgers(draw):
    """Draw budget years, themes, colleges per year and STATUS bodies with every kind of verdict."""
    # Usually several budget years (2023 lies after the period end), so the ledger has work to do.
    years = [year for year in range(2019, 2024) if draw(st.integers(0, 3))] or [draw(st.integers(2019, 2023))]
    themes = [ThemeShare(f"T{i}", Decimal(draw(st.integers(0, 50)))) for i in range(draw(st.integers(1, 3)))]
    theme_of = {code: draw(st.sampled_from(themes)).code for code in CODES}
    budget = {}
    statuses = []
    for year in years:
        everyone = draw(st.sampled_from([True, True, False]))
        colleges = COLLEGES if everyone else sorted(draw(st.sets(st.sampled_from(COLLEGES), min_size=1)))
        budget[year] = {
            "total_cents": draw(st.sampled_from(TOTALS) | st.integers(0, 10**10)),
            "result_dependent_pct": draw(st.sampled_from(PERCENTAGES)),
            "central_pct": draw(st.sampled_from(PERCENTAGES)),
            "colleges": colleges,
        }
        # Most indicators come back year after year, so reserved portions meet later verdicts.
        for code in [code for code in CODES if draw(st.integers(0, 4))]:
            attained = draw(st.sampled_from([True, False, None]))
            met = {}
            for college in COLLEGES:
                # Mostly met or not; sometimes not applicable, unjudged, or not listed at all.
                choice = draw(st.sampled_from([True, True, False, False, "n/a", None, "absent"]))
                if choice != "absent":
                    met[college] = None if attained is None and choice != "n/a" else choice
            institution_only = draw(st.integers(0, 9)) == 0
            statuses.append(status(code, year, met, theme_of[code], attained, institution_only))
    students = {c: {2019: draw(st.integers(0, 5000))} for c in COLLEGES}
    return years, themes, budget, statuses, students


def engine_bodies(years, themes, budget, statuses, students):
    """Return (splits before the ledger, the budget body per year) as the recompute service makes them."""
    verdicts = {year: budget_verdicts(statuses, year) for year in years}
    splits = [
        split_budget(
            year=year,
            total_cents=budget[year]["total_cents"],
            result_dependent_pct=budget[year]["result_dependent_pct"],
            central_pct=budget[year]["central_pct"],
            themes=themes,
            colleges=budget[year]["colleges"],
            students=students,
            verdicts=verdicts[year],
        )
        for year in years
    ]
    ledger_ = reserve_ledger(splits, verdicts, PERIOD_END)
    return splits, {split.year: budget_payload("X", split) for split in ledger_}


@settings(deadline=None)  # max_examples: the Hypothesis profile's (tests/conftest.py)
@given(ledgers())
def test_the_ledger_equals_the_reference_and_every_cent_is_accounted_for(case):
    """Any years and verdicts: engine == reference on every field; reserved == released later + open."""
    years, themes, budget, statuses, students = case
    splits, bodies = engine_bodies(*case)

    # The engine equals the row-by-row reference on every field of every college entry.
    amounts = {
        (split.year, theme.theme, part.college): part.amount_cents
        for split in splits
        for theme in split.themes
        for part in theme.colleges
    }
    expected = rowwise_reserve.reserve(
        statuses=statuses,
        amounts=amounts,
        result_dependent_pct={year: budget[year]["result_dependent_pct"] for year in years},
        period_end=PERIOD_END,
    )
    ledger_years = [year for year in years if year <= PERIOD_END]
    actual = {
        (year, theme["theme"], entry["college"]): {name: entry[name] for name in rowwise_reserve.FIELDS}
        for year in ledger_years
        for theme in bodies[year]["themes"]
        for entry in theme["colleges"]
    }
    assert actual == expected

    totals = {"result_dependent": 0, "released": 0, "from_reserve": 0}
    cumulative: dict[tuple[str, str], list[int]] = {}  # (theme, college) -> [reserved, released from reserve]
    for year in years:
        body = bodies[year]
        # Everything adds up to the cent, as before the ledger.
        assert sum(theme["amount_cents"] for theme in body["themes"]) == body["total_cents"]
        for theme in body["themes"]:
            colleges = theme["colleges"]
            assert theme["central_cents"] + sum(c["amount_cents"] for c in colleges) == theme["amount_cents"]
            for name in ("released_from_reserve_cents", "reserve_open_cents"):
                assert theme[name] == sum(c[name] for c in colleges)
            for entry in colleges:
                assert entry["released_cents"] + entry["reserved_cents"] == entry["result_dependent_cents"]
                assert entry["fixed_cents"] + entry["result_dependent_cents"] == entry["amount_cents"]
                assert entry["released_from_reserve_cents"] == sum(r["cents"] for r in entry["reserve_releases"])
                assert entry["reserve_open_cents"] == sum(r["cents"] for r in entry["reserve_open"])
                assert all(r["from_year"] < year for r in entry["reserve_releases"])
                if year > PERIOD_END:
                    continue
                # The invariant per (c, t): reserved up to Y == released from reserve up to Y + open after Y.
                running = cumulative.setdefault((theme["theme"], entry["college"]), [0, 0])
                running[0] += entry["reserved_cents"]
                running[1] += entry["released_from_reserve_cents"]
                assert running[0] == running[1] + entry["reserve_open_cents"]
                totals["result_dependent"] += entry["result_dependent_cents"]
                totals["released"] += entry["released_cents"]
                totals["from_reserve"] += entry["released_from_reserve_cents"]
        for name in ("released_from_reserve_cents", "reserve_open_cents"):
            assert body[name] == sum(theme[name] for theme in body["themes"])
        final = bool(ledger_years) and year == ledger_years[-1]
        assert (body["not_realised_cents"] is not None) is final
        if final:
            assert body["not_realised_cents"] == body["reserve_open_cents"]
            # Over the period every result-dependent cent is released in its year, later, or not realised.
            released = totals["released"] + totals["from_reserve"] + body["not_realised_cents"]
            assert released == totals["result_dependent"]
    # A (c, t) with no entry in a later year has nothing open: every open cent stays in view.
    for (theme, college_code), (reserved, from_reserve) in cumulative.items():
        if ledger_years:
            last = {(t["theme"], c["college"]): c for t in bodies[ledger_years[-1]]["themes"] for c in t["colleges"]}
            if (theme, college_code) not in last:
                assert reserved == from_reserve
