"""SYNTHETIC data for the engine benchmark: institutions shaped like ROCvAF, as rows and engine frames.

One institution: 12 colleges (every fifth institution has a 13th, inactive one) with 10-13 teams
each, the 15 indicators of a ROCvAF-like agenda (14 measured per team, 3c at institution level
only), 2015-2022. Teams come and go: most live the whole period, some start in 2019 (no own
baseline: judged against their college's) and some stop after 2018. The sector is 65 such
institutions, about one million measurements. Deterministic for a seed; pure Python and numpy
(no Django), so the engine bench needs no database and the DB bench stores exactly these rows.
"""

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from rapportage.engine.attainment import AMBITION_COLUMNS, COLLEGE_COLUMNS, INDICATOR_COLUMNS, MEASUREMENT_COLUMNS

UNIT = 10**6
YEARS = tuple(range(2015, 2023))
AGENDA_YEARS = (2019, 2020, 2021, 2022)
THEMES = [("T1", 25, False), ("T2", 25, True), ("T3", 25, True), ("T4", 15, True), ("T5", 10, False)]

# code, theme, unit, polarity, institution_only, baseline year, baseline value (None: from data),
# ambitions [(year, type, target, tolerance)], herijking of the 2022 ambition (type, target, tolerance)
# or None, centre of the synthetic values, whether teams report n.
# fmt: off
INDICATORS = [
    ("1a", "T1", "score", 1, False, 2017, "6.7", [(2020, "target", "6.9", "0"), (2022, "target", "7.1", "0")], None, 6.8, True),
    ("1b", "T1", "percent", 1, False, 2018, "38", [(2020, "target", "45", "0"), (2022, "target", "50", "0")], ("target", "48", "0"), 42, True),
    ("1c", "T1", "score", 1, False, 2017, None, [(2020, "improve", None, "0"), (2022, "improve", None, "0")], None, 7.0, False),
    ("2a-entree", "T2", "percent", 1, False, 2017, "78", [(2020, "maintain", None, "0.5"), (2022, "maintain", None, "0.5")], None, 78, True),
    ("2a-n2", "T2", "percent", 1, False, 2017, "68.14", [(2020, "improve", None, "0"), (2022, "improve", None, "0")], None, 68, True),
    ("2b", "T2", "percent", -1, False, 2016, "6.7", [(2020, "maintain", None, "0.5"), (2022, "maintain", None, "0.5")], None, 6.7, True),
    ("3a", "T3", "percent", 1, False, 2017, None, [(2020, "maintain", None, "0.5"), (2022, "maintain", None, "0.5")], None, 60, True),
    ("3b", "T3", "percent", 1, False, 2016, "29.3", [(2020, "maintain", None, "0.5"), (2022, "improve", None, "0")], None, 29, True),
    ("3c", "T3", "percent", 1, True, 2017, None, [(2020, "maintain", None, "0.5"), (2022, "maintain", None, "0.5")], None, 20, False),
    ("3d", "T3", "percent", 1, False, 2016, "38.4", [(2020, "maintain", None, "0.5"), (2022, "improve", None, "0")], None, 38, True),
    ("3e", "T3", "percent", 1, False, 2016, None, [(2020, "monitor", None, "0"), (2022, "monitor", None, "0")], ("maintain", None, "1"), 55, True),
    ("4a", "T4", "percent", 1, False, 2017, None, [(2020, "monitor", None, "0"), (2022, "monitor", None, "0")], ("maintain", None, "1"), 70, True),
    ("4b", "T4", "percent", 1, False, 2017, None, [(2020, "monitor", None, "0"), (2022, "monitor", None, "0")], ("improve", None, "0"), 45, False),
    ("4c", "T4", "percent", 1, False, 2017, None, [(2020, "maintain", None, "0.5"), (2022, "maintain", None, "0.5")], None, 80, True),
    ("5a", "T5", "percent", 1, False, 2017, None, [(2020, "monitor", None, "0"), (2022, "monitor", None, "0")], ("target", "30", "0"), 27, True),
]
# fmt: on


@dataclass
class Sector:
    """Rows of every table the engine reads, with integer ids (values in engine units)."""

    institutions: list[dict]
    colleges: list[dict]
    teams: list[dict]
    themes: list[dict]
    indicators: list[dict]
    ambitions: list[dict]  # one row per revision
    measurements: pd.DataFrame  # MEASUREMENT_COLUMNS, value in units
    students: list[dict]

    def institution_ids(self) -> list[int]:
        """Return the ids of the institutions."""
        return [i["id"] for i in self.institutions]


def _units(text: str | None) -> int | None:
    """Return a decimal string as engine units."""
    return None if text is None else int(Decimal(text) * UNIT)


def sector(institutions: int = 1, seed: int = 2019) -> Sector:
    """Return `institutions` ROCvAF-like institutions with teams, indicators, ambitions and values."""
    rng = np.random.default_rng(seed)
    inst_rows, college_rows, team_rows, theme_rows, ind_rows, amb_rows, student_rows = [], [], [], [], [], [], []
    chunks = []
    college_id = team_id = theme_id = indicator_id = ambition_id = 0
    for k in range(1, institutions + 1):
        inst_rows.append({"id": k, "code": f"I{k:03d}", "name": f"Synthetische instelling {k:03d}"})
        colleges = []
        for c in range(1, 13 + (k % 5 == 0)):
            college_id += 1
            active = c <= 12
            college_rows.append({"id": college_id, "institution": k, "code": f"C{c:02d}", "active": active})
            colleges.append(college_id)
            for year in YEARS:
                student_rows.append({"college": college_id, "year": year, "count": int(rng.integers(800, 5000))})
        # Teams: (id, college, first year, last year, level offset).
        teams = []
        for college in colleges:
            for t in range(int(rng.integers(10, 14))):
                team_id += 1
                life = rng.random()
                first, last = (2019, 2022) if life < 0.05 else (2015, 2018) if life < 0.09 else (2015, 2022)
                team_rows.append({"id": team_id, "institution": k, "college": college, "code": f"C{college}-T{t:02d}"})
                teams.append((team_id, college, first, last))
        themes = {}
        for position, (code, share, national) in enumerate(THEMES, 1):
            theme_id += 1
            themes[code] = theme_id
            theme_rows.append(
                {
                    "id": theme_id,
                    "institution": k,
                    "code": code,
                    "share": share,
                    "national": national,
                    "position": position,
                }
            )
        team_ids = np.array([t[0] for t in teams])
        team_college = np.array([t[1] for t in teams])
        alive = np.array([[t[2] <= y <= t[3] for y in YEARS] for t in teams])  # teams x years
        college_offset = {c: rng.normal(0, 1) for c in colleges}
        for position, spec in enumerate(INDICATORS, 1):
            code, theme, unit, polarity, inst_only, b_year, b_value, ambitions, revision, centre, with_n = spec
            indicator_id += 1
            ind_rows.append(
                {
                    "id": indicator_id,
                    "institution": k,
                    "theme": themes[theme],
                    "code": code,
                    "unit": unit,
                    "polarity": polarity,
                    "institution_only": inst_only,
                    "baseline_year": b_year,
                    "baseline_value": _units(b_value),
                    "position": position,
                }
            )
            for year, kind, target, tolerance in ambitions:
                ambition_id += 1
                amb_rows.append(
                    {
                        "id": ambition_id,
                        "indicator": indicator_id,
                        "year": year,
                        "revision": 1,
                        "type": kind,
                        "target": _units(target),
                        "tolerance": _units(tolerance),
                        "indicative": year == 2022,
                    }
                )
            if revision is not None:
                ambition_id += 1
                kind, target, tolerance = revision
                amb_rows.append(
                    {
                        "id": ambition_id,
                        "indicator": indicator_id,
                        "year": 2022,
                        "revision": 2,
                        "type": kind,
                        "target": _units(target),
                        "tolerance": _units(tolerance),
                        "indicative": False,
                    }
                )
            chunks.append(_values(rng, indicator_id, spec, team_ids, team_college, alive, colleges, college_offset))
    measurements = pd.concat(chunks, ignore_index=True)
    return Sector(inst_rows, college_rows, team_rows, theme_rows, ind_rows, amb_rows, measurements, student_rows)


def _values(rng, indicator, spec, team_ids, team_college, alive, colleges, college_offset) -> pd.DataFrame:
    """Return one indicator's rows: teams (about 97% reported), some given colleges, the institution."""
    _, _, unit, polarity, inst_only, _, _, _, _, centre, with_n = spec
    spread = 0.3 if unit == "score" else 4.0
    hi = 10.0 if unit == "score" else 100.0
    lo = 1.0 if unit == "score" else 0.0
    years = np.array(YEARS)
    frames = []
    if not inst_only:
        shape = (len(team_ids), len(years))
        offsets = np.array([college_offset[c] for c in team_college])[:, None] * spread / 2
        trend = (years[None, :] - 2017) * spread * 0.05 * polarity
        raw = centre + offsets + rng.normal(0, spread, shape) + trend
        tenths = np.clip(np.round(raw * 10), lo * 10, hi * 10).astype(np.int64)
        present = alive & (rng.random(shape) < 0.97)
        t_idx, y_idx = np.nonzero(present)
        n = rng.integers(10, 300, shape)[t_idx, y_idx] if with_n else None
        frames.append(
            pd.DataFrame(
                {
                    "indicator": indicator,
                    "year": years[y_idx],
                    "level": "team",
                    "college": team_college[t_idx],
                    "team": team_ids[t_idx],
                    "value": tenths[t_idx, y_idx] * (UNIT // 10),
                    "n": n if with_n else pd.NA,
                }
            )
        )
        # A published college figure now and then (agenda ch. 6.4): given values win.
        given = [(c, y) for c in colleges for y in YEARS if rng.random() < 0.08]
        if given:
            frames.append(
                pd.DataFrame(
                    {
                        "indicator": indicator,
                        "year": [y for _, y in given],
                        "level": "college",
                        "college": [c for c, _ in given],
                        "team": pd.NA,
                        "value": [int(round((centre + rng.normal(0, spread)) * 10)) * (UNIT // 10) for _ in given],
                        "n": pd.NA,
                    }
                )
            )
    inst_years = YEARS if inst_only else [y for y in YEARS if rng.random() < 0.2]
    if inst_years:
        frames.append(
            pd.DataFrame(
                {
                    "indicator": indicator,
                    "year": list(inst_years),
                    "level": "institution",
                    "college": pd.NA,
                    "team": pd.NA,
                    "value": [int(round((centre + rng.normal(0, spread / 4)) * 10)) * (UNIT // 10) for _ in inst_years],
                    "n": pd.NA,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)[MEASUREMENT_COLUMNS]
    return frame.astype(
        {"indicator": "int64", "year": "int64", "college": "Int64", "team": "Int64", "value": "Int64", "n": "Int64"}
    )


@dataclass
class Frames:
    """The engine's inputs for some institutions of a sector."""

    measurements: pd.DataFrame
    indicators: pd.DataFrame
    ambitions: dict[str, pd.DataFrame]  # "current" (latest revision), "original" (first)
    colleges: pd.DataFrame


def engine_frames(data: Sector, institutions: list[int] | None = None) -> Frames:
    """Return the engine frames of `institutions` (default: all), as the selectors build them."""
    keep = set(institutions or data.institution_ids())
    indicators = [i for i in data.indicators if i["institution"] in keep]
    ids = {i["id"] for i in indicators}
    indicator_frame = pd.DataFrame(
        [
            (i["id"], i["institution"], i["polarity"], i["institution_only"], i["baseline_year"], i["baseline_value"])
            for i in indicators
        ],
        columns=INDICATOR_COLUMNS,
    ).astype({"indicator": "int64", "baseline_value": "Int64"})
    m = data.measurements
    measurements = m[m["indicator"].isin(ids)].reset_index(drop=True) if len(keep) < len(data.institutions) else m
    ambitions = {}
    for version, pick in (("current", -1), ("original", 0)):
        chosen = {}
        for row in sorted((a for a in data.ambitions if a["indicator"] in ids), key=lambda a: a["revision"]):
            key = (row["indicator"], row["year"])
            if pick == -1 or key not in chosen:
                chosen[key] = row
        ambitions[version] = pd.DataFrame(
            [
                (r["indicator"], r["year"], r["type"], r["target"], r["tolerance"], r["indicative"], r["id"])
                for r in chosen.values()
            ],
            columns=AMBITION_COLUMNS,
        ).astype(
            {"indicator": "int64", "year": "int64", "target": "Int64", "tolerance": "Int64", "ambition_id": "Int64"}
        )
    colleges = pd.DataFrame(
        [(c["id"], c["institution"], c["active"]) for c in data.colleges if c["institution"] in keep],
        columns=COLLEGE_COLUMNS,
    ).astype({"college": "int64", "active": "bool"})
    return Frames(measurements, indicator_frame, ambitions, colleges)
