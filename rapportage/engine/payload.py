"""Turn engine results into the JSON bodies of contracts.md section 4 (STATUS and budget).

The stored payload is exactly what the API, `agenda_status --format json` and `budget
--format json` print, so the three can never disagree. Extra fields extend the contract
(explanation, distance); none of its fields are renamed or dropped.
"""

import hashlib
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from kern.rules import float_keeps
from rapportage.engine.attainment import Attainment
from rapportage.engine.budget import BudgetSplit
from rapportage.engine.explain import college_sentence, indicator_sentence
from rapportage.engine.numbers import SCALE, to_decimal
from rapportage.engine.words import indicator_distance, institution_distance

_FLOAT_EXACT = 10**15  # units: a value of at most 15 significant digits, which a float prints back exactly


def json_number(value: Decimal | None):
    """Return a Decimal as a JSON number: int when whole, the float when it prints the same digits, else the Decimal.

    A value has up to 18 significant digits (kern.rules.MAX_DIGITS), a float 15 to 17: the
    Decimal keeps the rest, and exact_json writes and reads it as a number (issue 11 part 7).
    """
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value) if float_keeps(value) else value


def _opt_bool(value) -> bool | None:
    """Return a nullable boolean as True, False or None."""
    return None if value is None or value is pd.NA else bool(value)


def _opt_int(value) -> int | None:
    """Return a nullable integer as int or None."""
    return None if value is None or pd.isna(value) else int(value)


def _numbers(column: pd.Series) -> list:
    """Return a column of engine units as JSON numbers: json_number(to_decimal(u)) for every u, fast."""
    if column.dtype != "Int64":
        return [_number(u) for u in column.to_numpy(dtype=object, na_value=None).tolist()]
    missing = column.isna().to_numpy()
    units = column.to_numpy(dtype=np.int64, na_value=0)
    big = np.abs(units) >= _FLOAT_EXACT
    # Below 10**15 units an int64 converts to a float64 exactly (< 2**53) and dividing by the
    # float 10**6 rounds correctly, as u / SCALE on Python ints does: the same float, which
    # prints the same 15 digits; whole numbers become ints. In C loops: the per-number Python
    # work was a twentieth of a recompute (docs/benchmarks.md section 7).
    numbers = (units / SCALE).astype(object)
    whole = (units % SCALE == 0) & ~big
    numbers[whole] = (units[whole] // SCALE).astype(object)
    for position in np.flatnonzero(big & ~missing):
        numbers[position] = _number(int(units[position]))
    numbers[missing] = None
    return numbers.tolist()


def _number(u) -> int | float | Decimal | None:
    """Return one value in engine units as a JSON number (the rule _numbers applies to a column)."""
    if u is None:
        return None
    if abs(u) >= _FLOAT_EXACT:
        return json_number(to_decimal(u))
    return u // SCALE if u % SCALE == 0 else u / SCALE


def _values(column: pd.Series) -> list:
    """Return a nullable column as Python values (bool, int, str) with None for missing."""
    return column.to_numpy(dtype=object, na_value=None).tolist()


def _keys(frame: pd.DataFrame) -> np.ndarray:
    """Return one int64 per row naming its (indicator, year): indicator * 10000 + year."""
    return frame["indicator"].to_numpy(dtype=np.int64) * 10000 + frame["year"].to_numpy(dtype=np.int64)


def _group_digests(frame: pd.DataFrame) -> dict[int, bytes]:
    """Return a digest of every row of `frame` (all its columns, in order) per (indicator, year) key."""
    if not len(frame):
        return {}
    # pandas hashes each row's columns in C (missing differs from 0 and False); the rows of one
    # (indicator, year) are then digested together, in the engine's order.
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    keys = _keys(frame)
    order = np.argsort(keys, kind="stable")
    keys, rows = keys[order], rows[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return {
        int(keys[start]): hashlib.blake2b(rows[start:end].tobytes(), digest_size=16).digest()
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
    }


def _code_digest() -> bytes:
    """Return a digest of the code that turns engine rows into a stored STATUS text.

    A stored payload is kept while its input digest is unchanged; a deploy that changes how the
    text is made (this module, the sentences, the numbers, the JSON writer) must rebuild them all.
    """
    digest = hashlib.blake2b(digest_size=16)
    modules = ("rapportage.engine.payload", "rapportage.engine.explain", "rapportage.engine.words")
    modules += ("rapportage.engine.numbers", "rapportage.engine.exact_json", "rapportage.engine.attainment")
    for name in (*modules, "kern.rules"):
        __import__(name)
        digest.update(Path(sys.modules[name].__file__).read_bytes())
    digest.update(f"{pd.__version__} {np.__version__} {orjson.__version__}".encode())
    return digest.digest()


_CODE_DIGEST: list[bytes] = []


def status_row_digests(att: Attainment) -> tuple[dict[int, bytes], ...]:
    """Return the digests of the engine's rows per (indicator, year) key: indicators, colleges, teams, unreferenced.

    Keys are unique across institutions (indicator ids are), so the digests of a joint judgement
    are each institution's own (its rows keep their order: attainment.split_attainment).
    """
    return tuple(_group_digests(frame) for frame in (att.indicators, att.colleges, att.teams, att.unreferenced))


def status_input_digests(
    att: Attainment,
    *,
    indicators: dict[int, dict],
    colleges: dict[int, dict],
    teams: dict[int, str],
    rows: tuple[dict[int, bytes], ...] | None = None,
) -> dict[tuple[int, int], str]:
    """Return per (indicator id, year) a digest of everything its STATUS body is made from.

    status_payloads builds a body from the engine's rows of that (indicator, year) in the four
    frames of `att` (the indicator row, its college rows, its team rows and its teams without a
    baseline), the names and codes in `indicators`, `colleges` and `teams`, and its own code:
    exactly what is digested here. Whatever moves a body (a value, a team's college, an ambition,
    applicability, a composite's component, a revised baseline) moves one of those rows; so a
    recompute builds only the bodies whose digest changed (issue 16: most of a recompute was
    building bodies that came out the same).
    """
    if not _CODE_DIGEST:
        _CODE_DIGEST.append(_code_digest())
    shared = hashlib.blake2b(_CODE_DIGEST[0], digest_size=16)
    # Every name and code a body can show: one change among them rebuilds every body (rare).
    shared.update(repr(sorted((pk, sorted(meta.items())) for pk, meta in indicators.items())).encode())
    shared.update(repr(sorted((pk, meta["code"], meta["name"]) for pk, meta in colleges.items())).encode())
    shared.update(repr(sorted(teams.items())).encode())
    if rows is None:
        own, *parts = status_row_digests(att)
        keys = list(own)
    else:
        # The row digests of a joint judgement (recompute_batch): this institution's keys only, in
        # the order _group_digests gives them.
        own, *parts = rows
        keys = np.unique(_keys(att.indicators)).tolist()
    digests = {}
    for key in keys:
        digest = shared.copy()
        digest.update(own[key])
        for part in parts:
            digest.update(part.get(key, b"-"))
        digests[(key // 10000, key % 10000)] = digest.hexdigest()
    return digests


def _code_ranks(column: pd.Series, teams: dict[int, str]) -> np.ndarray:
    """Return per row of a team id column the rank of the team's code among all codes in `teams`.

    A sorted lookup in C: Series.map through a dict was a sixth of building the bodies where every
    value moved (benchmarks.md 17). A team id missing from `teams` is an error, as the dict lookup
    that writes its code in the body would be.
    """
    if not teams:
        raise KeyError("team without a code: no teams")
    ids = np.fromiter(teams.keys(), dtype=np.int64, count=len(teams))
    by_code = {code: rank for rank, code in enumerate(sorted(set(teams.values())))}
    ranks = np.fromiter((by_code[code] for code in teams.values()), dtype=np.int64, count=len(teams))
    order = np.argsort(ids)
    ids, ranks = ids[order], ranks[order]
    wanted = column.to_numpy(dtype=np.int64)
    positions = np.searchsorted(ids, wanted).clip(max=len(ids) - 1)
    if not np.array_equal(ids[positions], wanted):
        raise KeyError(f"team without a code: {wanted[ids[positions] != wanted][0]}")
    return ranks[positions]


def _only(frame: pd.DataFrame, keys: np.ndarray | None) -> pd.DataFrame:
    """Return the rows of `frame` whose (indicator, year) key is among `keys` (all when None)."""
    if keys is None:
        return frame
    return frame[np.isin(_keys(frame), keys)]


def verdict_views(att: Attainment, *, indicators: dict[int, dict], colleges: dict[int, dict]) -> list[dict]:
    """Return per (indicator, year) the part of its STATUS body the budget reads (budget.budget_verdicts).

    The same values status_payloads writes under the same keys (indicator, theme, year, attained,
    institution_only, and per college its code, met and basis), without building whole bodies.
    """
    c = att.colleges
    college_lists: dict[tuple, list] = defaultdict(list)
    for indicator, year, college, met, basis in zip(
        _values(c["indicator"]),
        _values(c["year"]),
        _values(c["college"]),
        _values(c["met"]),
        _values(c["basis"]),
        strict=True,
    ):
        college_lists[(indicator, year)].append({"college": colleges[college]["code"], "met": met, "basis": basis})
    i = att.indicators
    return [
        {
            "indicator": indicators[indicator]["code"],
            "theme": indicators[indicator]["theme"],
            "year": int(year),
            "attained": _opt_bool(attained),
            "institution_only": bool(only),
            "colleges": [] if only else college_lists.get((indicator, year), []),
        }
        for indicator, year, attained, only in zip(
            _values(i["indicator"]),
            _values(i["year"]),
            _values(i["attained"]),
            _values(i["institution_only"]),
            strict=True,
        )
    ]


def status_payloads(
    att: Attainment,
    *,
    indicators: dict[int, dict],
    colleges: dict[int, dict],
    teams: dict[int, str],
    only: set[tuple[int, int]] | None = None,
) -> dict[tuple[int, int], dict]:
    """Return the STATUS body per (indicator id, year).

    `indicators[id]` has code, name, theme and polarity; `colleges[id]` code and name;
    `teams[id]` the team code. `only`: build just these (indicator id, year) (a recompute
    rebuilds the bodies whose input digest changed, status_input_digests).
    """
    if only is not None and not only:
        return {}  # nothing to build: the frames' per-column conversions alone cost a few ms
    keys = None if only is None else np.array([indicator * 10000 + year for indicator, year in only], dtype=np.int64)
    att = Attainment(
        indicators=_only(att.indicators, keys),
        colleges=_only(att.colleges, keys),
        teams=_only(att.teams, keys),
        unreferenced=_only(att.unreferenced, keys),
    )
    # Whole columns at a time: per-row Decimal conversion dominated a recompute (bench/engine_bench.py).
    t = att.teams
    if len(t):
        # The teams in the order of their codes (a stable sort: equal codes keep the engine's order),
        # so each list below is built sorted; sorting 48,000 lists by a key (480,000 calls of it)
        # was a tenth of building the bodies where every value moved (benchmarks.md 14).
        t = t.iloc[np.argsort(_code_ranks(t["team"], teams), kind="stable")]
    team_lists: dict[tuple, list] = defaultdict(list)
    for key, team, value, reference, contributed, n, needed, strict in zip(
        zip(_values(t["indicator"]), _values(t["year"]), _values(t["college"]), strict=True),
        _values(t["team"]),
        _numbers(t["value"]),
        _numbers(t["reference"]),
        _values(t["contributed"]),
        _values(t["n"]),
        _numbers(t["needed"]),
        _values(t["needed_strict"]),
        strict=True,
    ):
        team_lists[key].append(
            {
                "team": teams[team],
                "value": value,
                "reference": reference,
                "contributed": contributed,
                "n": n,
                # Added (issue 15): the value the team needs to contribute (step 2), strict for improve.
                "needed": needed,
                "needed_strict": strict,
            }
        )

    u = att.unreferenced
    unreferenced: dict[tuple, list] = defaultdict(list)
    for key, team, college, value in zip(
        zip(_values(u["indicator"]), _values(u["year"]), strict=True),
        _values(u["team"]),
        _values(u["college"]),
        _numbers(u["value"]),
        strict=True,
    ):
        unreferenced[key].append({"team": teams[team], "college": colleges[college]["code"], "value": value})

    c = att.colleges
    college_lists: dict[tuple, list] = defaultdict(list)
    for (
        indicator,
        year,
        college,
        units,
        ref_units,
        value,
        reference,
        teams_reference,
        met,
        basis,
        done,
        total,
        needed,
        margin,
    ) in zip(
        _values(c["indicator"]),
        _values(c["year"]),
        _values(c["college"]),
        _values(c["value"]),
        _values(c["reference"]),
        _numbers(c["value"]),
        _numbers(c["reference"]),
        _numbers(c["teams_reference"]),
        _values(c["met"]),
        _values(c["basis"]),
        _values(c["teams_contributed"]),
        _values(c["teams_total"]),
        _values(c["teams_needed"]),
        _values(c["teams_margin"]),
        strict=True,
    ):
        # Only a college judged as one unit shows its value and reference in words.
        as_unit = basis == "college_value"
        facts = {
            "basis": basis,
            "met": met,
            "value": to_decimal(units) if as_unit else None,
            "reference": to_decimal(ref_units) if as_unit else None,
            "teams_total": total,
            "teams_contributed": done,
            "teams_needed": needed,
            "teams_margin": margin,
        }
        meta = colleges[college]
        college_lists[(indicator, year)].append(
            {
                "college": meta["code"],
                "name": meta["name"],
                "value": value,
                "reference": reference,
                "met": met,
                "basis": basis,
                "teams_contributed": done,
                "teams_total": total,
                "teams_needed": needed if met is False else 0,
                # Added field (contracts.md: extend, never rename): the engine's distance, phrased by words.py.
                "teams_margin": margin,
                # Added (issue 15): the college's own value in the baseline year, the reference of a
                # team without one of its own (domain.md step 2).
                "teams_reference": teams_reference,
                "explanation": college_sentence(facts, year),
                "teams": team_lists.get((indicator, year, college), []),
            }
        )
    for entries in college_lists.values():
        entries.sort(key=lambda entry: entry["college"])

    payloads = {}
    for row in att.indicators.itertuples(index=False):
        meta = indicators[row.indicator]
        has_ambition = row.basis != "monitor"
        kind = row.type
        facts = {
            "year": int(row.year),
            "basis": row.basis,
            "ambition_type": kind,
            "ambition_year": _opt_int(row.ambition_year),
            "institution_value": to_decimal(row.institution_value),
            "baseline": to_decimal(row.baseline),
            "baseline_year": int(row.baseline_year),
            "target": to_decimal(row.target),
            "tolerance": to_decimal(row.tolerance),
            "institution_met": _opt_bool(row.institution_met),
            "institution_gap": to_decimal(row.institution_gap),
            "institution_only": bool(row.institution_only),
            "attained": _opt_bool(row.attained),
            "colleges_met": int(row.colleges_met),
            "colleges_total": int(row.colleges_total),
            "colleges_needed_total": int(row.colleges_met - row.colleges_margin),
            "colleges_margin": int(row.colleges_margin),
            "colleges_not_applicable": sum(
                1 for entry in college_lists.get((row.indicator, row.year), []) if entry["basis"] == "not_applicable"
            ),
        }
        payloads[(row.indicator, int(row.year))] = {
            "indicator": meta["code"],
            "name": meta["name"],
            "theme": meta["theme"],
            "year": int(row.year),
            "ambition_year": facts["ambition_year"] if kind != "monitor" else None,
            "ambition_type": kind,
            "polarity": meta["polarity"],
            "indicative": bool(row.indicative) if not pd.isna(row.indicative) else False,
            "baseline_year": int(row.baseline_year),
            "baseline": json_number(facts["baseline"]),
            "target": json_number(facts["target"]),
            "tolerance": json_number(facts["tolerance"]) if has_ambition and kind != "monitor" else None,
            "institution_value": json_number(facts["institution_value"]),
            "institution_met": facts["institution_met"],
            "colleges_met": facts["colleges_met"],
            "colleges_total": facts["colleges_total"],
            "attained": facts["attained"],
            "basis": row.basis,
            "interim": facts["ambition_year"] is not None and facts["ambition_year"] != int(row.year),
            "institution_only": facts["institution_only"],
            "colleges_needed": int(row.colleges_needed) if row.basis in ("institution", "not_met") else 0,
            "colleges_margin": facts["colleges_margin"],
            # Added (contracts.md section 5): listed with basis not_applicable, left out of colleges_total.
            "colleges_not_applicable": facts["colleges_not_applicable"],
            "institution_gap": json_number(facts["institution_gap"]),
            "explanation": indicator_sentence(facts),
            "distance": indicator_distance(facts),
            # Added (issue 15, item 2): the institution level's own margin or shortfall in words.
            "institution_distance": institution_distance(facts),
            "colleges": [] if row.institution_only else college_lists.get((row.indicator, row.year), []),
            "teams_without_baseline": sorted(
                unreferenced.get((row.indicator, row.year), []), key=lambda entry: entry["team"]
            ),
        }
    return payloads


def status_payloads_by_version(
    attainments: dict[str, Attainment],
    *,
    indicators: dict[int, dict],
    colleges: dict[int, dict],
    teams: dict[int, str],
    digests: dict[str, dict[tuple[int, int], str]],
    only: dict[str, set[tuple[int, int]]],
) -> dict[str, dict[tuple[int, int], dict]]:
    """Return per ambition version the STATUS bodies of the keys in `only[version]`, each distinct body built once.

    `digests`: per version every key's input digest (status_input_digests). A body is made of
    nothing but what that digest covers and names no version, so keys of two versions with one
    digest have one body: it is built for the first and shared with the second (the same dict;
    bodies are never changed once built). Only a revised ambition (herijking) gives the two
    versions different rows; in the 65-institution sector 3,250 of 3,900 pairs were equal, and
    building bodies was the largest part of a recompute where every value moved (benchmarks.md 14).
    Each version's bodies come in the order status_payloads gives them (its indicator rows).
    """
    shared: dict[str, dict] = {}
    result = {}
    for version, att in attainments.items():
        wanted, mine = only[version], digests[version]
        reused = {key for key in wanted if mine[key] in shared}
        bodies = status_payloads(att, indicators=indicators, colleges=colleges, teams=teams, only=wanted - reused)
        for key, body in bodies.items():
            shared.setdefault(mine[key], body)
        if not reused:
            result[version] = bodies
            continue
        keys = _keys(att.indicators).tolist()
        in_order = ((key // 10000, key % 10000) for key in keys)
        result[version] = {key: bodies.get(key) or shared[mine[key]] for key in in_order if key in wanted}
    return result


def budget_payload(institution: str, split: BudgetSplit, warnings: list[str] | None = None) -> dict:
    """Return the budget body of contracts.md section 4 for one year, with section 5's reserve ledger.

    `not_realised_cents` is null except in the period's last budget year (domain.md, the reserve, step 4).
    """

    def entries(items) -> list[dict]:
        return [{"from_year": e.from_year, "indicator": e.indicator, "cents": e.cents} for e in items]

    def not_realised(cents: int) -> int | None:
        return cents if split.final else None

    # Each sum once, from the parts already written: the split's properties sum over the colleges
    # again at every level (docs/benchmarks.md section 7).
    themes = []
    for theme in split.themes:
        colleges = [
            {
                "college": part.college,
                "amount_cents": part.amount_cents,
                "fixed_cents": part.fixed_cents,
                "result_dependent_cents": part.result_dependent_cents,
                "released_cents": part.released_cents,
                "reserved_cents": part.reserved_cents,
                "indicators_met": part.met,
                "indicators_judged": part.verdicts,
                "portions": [{"indicator": p.indicator, "cents": p.cents, "met": p.met} for p in part.portions],
                "released_from_reserve_cents": part.released_from_reserve_cents,
                "reserve_releases": entries(part.reserve_releases),
                "reserve_open_cents": part.reserve_open_cents,
                "reserve_open": entries(part.reserve_open),
                "not_realised_cents": part.not_realised_cents,
                "not_realised": entries(part.not_realised or []),
            }
            for part in theme.colleges
        ]
        reserve_open = sum(college["reserve_open_cents"] for college in colleges)
        themes.append(
            {
                "theme": theme.theme,
                "share_pct": json_number(theme.share_pct),
                "amount_cents": theme.amount_cents,
                "central_cents": theme.central_cents,
                "released_from_reserve_cents": sum(college["released_from_reserve_cents"] for college in colleges),
                "reserve_open_cents": reserve_open,
                "not_realised_cents": not_realised(reserve_open),
                "colleges": colleges,
            }
        )
    reserve_open = sum(theme["reserve_open_cents"] for theme in themes)
    return {
        "institution": institution,
        "year": split.year,
        "total_cents": split.total_cents,
        "released_from_reserve_cents": sum(theme["released_from_reserve_cents"] for theme in themes),
        "reserve_open_cents": reserve_open,
        "not_realised_cents": not_realised(reserve_open),
        "themes": themes,
        "warnings": warnings or [],
    }


def verdict_flips(before, after) -> list[dict]:
    """Return the indicator and college verdicts that differ between two sets of STATUS bodies.

    One comparison for the recompute's change log and an upload's dry run; a verdict that
    did not exist before (a new year or indicator) is not a flip.
    """
    earlier = {(status["indicator"], status["year"]): status for status in before}
    flips = []
    for new in after:
        old = earlier.get((new["indicator"], new["year"]))
        if old is None:
            continue
        if old["attained"] != new["attained"]:
            flips.append(
                {
                    "indicator": new["indicator"],
                    "name": new["name"],
                    "year": new["year"],
                    "college": None,
                    "old": old["attained"],
                    "new": new["attained"],
                    "old_detail": f"{old['colleges_met']} van {old['colleges_total']} colleges",
                    "new_detail": f"{new['colleges_met']} van {new['colleges_total']} colleges",
                    "explanation": new["explanation"],
                }
            )
        old_colleges = {c["college"]: c for c in old["colleges"]}
        for college in new["colleges"]:
            was = old_colleges.get(college["college"])
            if was is None or was["met"] == college["met"]:
                continue
            flips.append(
                {
                    "indicator": new["indicator"],
                    "name": new["name"],
                    "year": new["year"],
                    "college": college["college"],
                    "old": was["met"],
                    "new": college["met"],
                    "old_detail": f"{was['teams_contributed']} van {was['teams_total']} teams",
                    "new_detail": f"{college['teams_contributed']} van {college['teams_total']} teams",
                    "explanation": college["explanation"],
                }
            )
    return flips
