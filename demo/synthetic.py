"""SYNTHETIC demo data for the quality agenda 2019-2022 of ROC van Amsterdam + ROC van Flevoland.

Everything this module returns is GENERATED: the ~100 teams, every team value, the student
numbers and every value after 2017 are invented for demonstrations and tests. They are NOT
real figures of ROCvAF. Only the college and institution figures the agenda itself publishes
(agenda ch. 6.4, 7.4 and 8.4; copied to ``data/rocvaf_college_values.csv``) are real; they are
emitted unchanged as college- and institution-level rows, and the synthetic team values are
made consistent with them (the n-weighted mean of a college's teams is within 0.3 of the
published value, within 0.05 for indicator 1a).

The values from 2019 on are designed so that the two-thirds rule (agenda ch. 4.3, domain.md)
gives a mix of verdicts: indicators attained through two-thirds of the colleges, through the
institution fallback, not attained, and close calls (8 or 7 of 12 colleges). ``_PLAN`` states
the design per indicator and year. Deterministic: the same seed gives the same rows.

Pure Python: no Django imports, so the generator also runs in scripts and in plain tests.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from kern.rules import UNIT_RANGES
from rapportage.engine.attainment import two_thirds_needed

COLLEGE_VALUES_CSV = Path(__file__).resolve().parent / "data" / "rocvaf_college_values.csv"

FIRST_YEAR, LAST_YEAR = 2015, 2022
YEARS = tuple(range(FIRST_YEAR, LAST_YEAR + 1))
DESIGN_YEARS = (2019, 2020, 2021, 2022)
STUDENTS = "studenten"
CSV_COLUMNS = ("jaar", "indicator", "college", "team", "waarde", "n")

# Values are held as integers in hundredths (77.5 -> 7750) so that every sum and comparison
# is exact (style.md "Numbers"); team values are generated with one decimal.
HUNDRED = 100
STEP = 10  # one decimal

# code: (name, ROCvA or ROCvF, students in 2017 -- synthetic, ROCvA colleges larger)
COLLEGES: dict[str, tuple[str, str, int]] = {
    "5100": ("MBO College Zuidoost", "ROCvA", 4800),
    "5110": ("MBO College Zuid", "ROCvA", 5300),
    "5200": ("MBO College Westpoort", "ROCvA", 4400),
    "5210": ("MBO College Noord", "ROCvA", 3300),
    "5300": ("MBO College Hilversum", "ROCvA", 3900),
    "5400": ("MBO College Centrum", "ROCvA", 4600),
    "5500": ("MBO College West", "ROCvA", 4100),
    "5800": ("MBO College Airport", "ROCvA", 3500),
    "5810": ("MBO College Amstelland", "ROCvA", 2800),
    "7100": ("MBO College Almere", "ROCvF", 2600),
    "7110": ("MBO College Poort", "ROCvF", 1000),
    "7200": ("MBO College Lelystad", "ROCvF", 1800),
}

# Per college: (abbreviation, Dutch name, level, relative size, growth sector).
# Level: "E" entree, "2", "3", "4", or "34" (a team with niveau 3 and 4 programmes).
# Growth sectors (indicator 4b) follow agenda Bijlage 1 "Tekort sectoren": techniek, zorg,
# hospitality, and ICT. 5810 has no entree and no niveau 2 team and 7110 no entree and no
# niveau 4 team: the agenda publishes no 2a / 3d figures for them (ch. 7.4, 8.4).
_TEAMS: dict[str, list[tuple[str, str, str, int, bool]]] = {
    "5100": [
        ("ENT", "Entree Zuidoost", "E", 2, False),
        ("ZW2", "Zorg en Welzijn niveau 2", "2", 6, True),
        ("HAN2", "Handel niveau 2", "2", 4, False),
        ("MZ", "Maatschappelijke Zorg", "34", 12, True),
        ("VPK", "Verpleegkunde", "4", 14, True),
        ("PW", "Pedagogisch Werk", "34", 10, False),
        ("ONA", "Onderwijsassistent", "4", 6, False),
        ("ECA", "Economie en Administratie", "34", 9, False),
        ("JUR", "Juridisch Medewerker", "4", 6, False),
    ],
    "5110": [
        ("ENT", "Entree Zuid", "E", 2, False),
        ("RET2", "Retail niveau 2", "2", 5, False),
        ("ECA", "Economie en Administratie", "34", 12, False),
        ("JUR", "Juridische Dienstverlening", "4", 9, False),
        ("ICT", "ICT Beheer", "34", 10, True),
        ("SWD", "Software Development", "4", 8, True),
        ("MV", "Media en Vormgeving", "4", 10, False),
        ("TOE", "Toerisme en Recreatie", "34", 7, True),
        ("COM", "Commercie", "34", 7, False),
        # New in 2019: the crossover 'event producer' of MBO College Zuid (agenda Bijlage 1,
        # Crossovers). No value of its own in any baseline year: judged against the college's.
        ("EVP", "Event Producer (crossover)", "4", 2, True),
    ],
    "5200": [
        ("ENT", "Entree Westpoort", "E", 2, False),
        ("BOU2", "Bouw niveau 2", "2", 5, True),
        ("BOU", "Bouw en Infra", "34", 9, True),
        ("INS", "Installatietechniek", "34", 9, True),
        ("ELT", "Elektrotechniek", "34", 10, True),
        ("MVT", "Motorvoertuigentechniek", "34", 13, True),
        ("LOG2", "Logistiek niveau 2", "2", 5, False),
        ("PRO", "Procestechniek", "34", 6, True),
        ("MET", "Metaal en Constructie", "3", 1, True),
        ("HAV", "Haven en Scheepvaart", "34", 4, False),
    ],
    "5210": [
        ("ENT", "Entree Noord", "E", 2, False),
        ("ZW2", "Zorg en Welzijn niveau 2", "2", 6, True),
        ("VZ", "Verzorgende IG", "3", 10, True),
        ("MZ", "Maatschappelijke Zorg", "34", 9, True),
        ("TEC", "Techniek", "34", 8, True),
        ("AFB", "Afbouw, Hout en Onderhoud", "3", 4, True),
        ("LAB", "Laboratoriumtechniek", "4", 3, True),
        ("SPO", "Sport en Bewegen", "34", 8, False),
        ("BEV2", "Beveiliging niveau 2", "2", 3, False),
    ],
    "5300": [
        ("ENT", "Entree Hilversum", "E", 2, False),
        ("ZW2", "Zorg en Welzijn niveau 2", "2", 5, True),
        ("VPK", "Verpleegkunde", "4", 10, True),
        ("PW", "Pedagogisch Werk", "34", 8, False),
        ("ECA", "Economie en Administratie", "34", 7, False),
        ("ICT", "ICT Beheer", "34", 6, True),
        ("MV", "Media en Vormgeving", "4", 9, False),
        ("TEC", "Techniek", "34", 7, True),
        ("HOR", "Horeca", "34", 5, True),
        ("UV", "Uiterlijke Verzorging", "34", 4, False),
    ],
    "5400": [
        ("ENT", "Entree Centrum", "E", 2, False),
        ("HOR2", "Horeca niveau 2", "2", 6, True),
        ("KOK", "Kok", "34", 10, True),
        ("HOS", "Hospitality", "4", 10, True),
        ("REI", "Reizen en Toerisme", "4", 9, True),
        ("RET2", "Retail niveau 2", "2", 5, False),
        ("COM", "Commercie", "34", 8, False),
        ("KAP", "Kapper", "34", 7, False),
        ("SCH", "Schoonheidsspecialist", "34", 6, False),
        ("BAK", "Bakker", "3", 1, False),
    ],
    "5500": [
        ("ENT", "Entree West", "E", 2, False),
        ("ZW2", "Zorg en Welzijn niveau 2", "2", 8, True),
        ("PW", "Pedagogisch Werk", "34", 13, False),
        ("ONA", "Onderwijsassistent", "4", 10, False),
        ("SW", "Sociaal Werk", "4", 11, True),
        ("SPO", "Sport en Bewegen", "34", 9, False),
        ("BEV2", "Beveiliging niveau 2", "2", 4, False),
        ("DV2", "Dienstverlening niveau 2", "2", 3, False),
    ],
    "5800": [
        ("ENT", "Entree Airport", "E", 2, False),
        ("LVD", "Luchtvaartdienstverlening", "34", 14, True),
        ("LOG2", "Logistiek niveau 2", "2", 8, False),
        ("LOG", "Logistiek Management", "4", 7, False),
        ("VLT", "Vliegtuigtechniek", "34", 10, True),
        ("BEV2", "Beveiliging niveau 2", "2", 6, False),
        ("HOS", "Hospitality Airport", "34", 6, True),
        ("REI", "Reizen", "4", 5, True),
    ],
    "5810": [
        ("ECA", "Economie en Administratie", "34", 10, False),
        ("ICT", "ICT Beheer", "4", 8, True),
        ("VPK", "Verpleegkunde", "4", 10, True),
        ("PW", "Pedagogisch Werk", "34", 8, False),
        ("SPO", "Sport en Bewegen", "34", 7, False),
        ("COM", "Commercie", "34", 6, False),
        ("MV", "Media en Vormgeving", "4", 5, False),
    ],
    "7100": [
        ("ENT", "Entree Almere", "E", 2, False),
        ("ZW2", "Zorg en Welzijn niveau 2", "2", 6, True),
        ("VPK", "Verpleegkunde", "4", 9, True),
        ("PW", "Pedagogisch Werk", "34", 8, False),
        ("ECA", "Economie en Administratie", "34", 7, False),
        ("ICT", "ICT Beheer", "34", 6, True),
        ("TEC", "Techniek", "34", 7, True),
        ("HOR", "Horeca", "34", 4, True),
        ("LOG2", "Logistiek niveau 2", "2", 4, False),
        ("MV", "Media en Vormgeving", "4", 5, False),
        ("SPO", "Sport en Bewegen", "34", 4, False),
    ],
    "7110": [
        ("ZW2", "Zorg en Welzijn niveau 2", "2", 6, True),
        ("RET2", "Retail niveau 2", "2", 4, False),
        ("TEC2", "Techniek niveau 2", "2", 4, True),
        ("VZ", "Verzorgende IG", "3", 5, True),
        ("KOK", "Kok", "3", 3, True),
        ("BEV2", "Beveiliging niveau 2", "2", 3, False),
    ],
    "7200": [
        ("ENT", "Entree Lelystad", "E", 2, False),
        # Stops after 2020 (synthetic): the ISK at Lelystad is run by the college "vooralsnog"
        # (agenda 7.1).
        ("ISK", "Entree-ISK Lelystad", "E", 1, False),
        ("ZW2", "Zorg en Welzijn niveau 2", "2", 6, True),
        ("VPK", "Verpleegkunde", "4", 8, True),
        ("ECA", "Economie en Administratie", "34", 7, False),
        ("TEC", "Techniek", "34", 8, True),
        ("LOG2", "Logistiek niveau 2", "2", 4, False),
        ("LVD", "Luchtvaartdienstverlening", "34", 4, True),
        ("PW", "Pedagogisch Werk", "34", 6, False),
    ],
}
_ACTIVE = {"5110-EVP": (2019, None), "7200-ISK": (None, 2020)}


@dataclass(frozen=True)
class _Team:
    code: str
    name: str
    college: str
    level: str
    base_n: int
    growth: bool
    active_from: int | None
    active_until: int | None

    def active(self, year: int) -> bool:
        """Return whether the team exists in `year`."""
        return (self.active_from is None or year >= self.active_from) and (
            self.active_until is None or year <= self.active_until
        )


def _build_teams() -> list[_Team]:
    """Return the team table with cohort sizes derived from the college's students."""
    teams = []
    for college, rows in _TEAMS.items():
        students = COLLEGES[college][2]
        total = sum(row[3] for row in rows)
        for abbr, name, level, rel, growth in rows:
            code = f"{college}-{abbr}"
            start, end = _ACTIVE.get(code, (None, None))
            base_n = max(10, round(students * 0.25 * rel / total))
            teams.append(_Team(code, name, college, level, base_n, growth, start, end))
    return teams


TEAMS: tuple[_Team, ...] = tuple(_build_teams())


@dataclass(frozen=True)
class _Spec:
    """How one indicator's synthetic values are made."""

    code: str
    unit: str  # percent | score
    d: int  # +1 higher is better, -1 lower is better
    first: int  # first year with team values
    levels: frozenset[str]  # team levels that have the indicator
    n_factor: float  # share of the team's cohort that forms n
    baseline_year: int
    baseline: int | None  # hundredths; None: taken from the data (as the agenda file says)
    ambitions: tuple[tuple[int, str, int | None, int], ...]  # (year, type, target, tolerance), hundredths
    bounds: tuple[int, int]  # plausible range of team values, hundredths
    spread: float  # sd of a team's persistent offset from its college, in value units
    noise: float  # sd of the yearly movement of a team, in value units
    amp: tuple[int, int]  # default size of designed moves (contributing, not contributing), hundredths


ALL = frozenset({"E", "2", "3", "4", "34"})
# The unit ranges of kern.rules (the value rules' one home), in hundredths.
_UNIT_RANGE = {unit: (int(low * HUNDRED), int(high * HUNDRED)) for unit, (low, high) in UNIT_RANGES.items() if high}
# One row per indicator, aligned as a table: keep it so (fmt: off).
# fmt: off
_SPECS = [
    _Spec("1a", "score", 1, 2015, ALL, 1.0, 2017, 670, ((2020, "target", 690, 0), (2022, "target", 710, 0)),
          (480, 850), 0.28, 0.12, (25, 30)),
    _Spec("1b", "percent", 1, 2018, ALL, 0.6, 2018, 3800, ((2020, "target", 4500, 0), (2022, "target", 5000, 0)),
          (1000, 9000), 11.0, 3.0, (500, 400)),
    _Spec("2a-entree", "percent", 1, 2015, frozenset({"E"}), 0.8, 2017, 7800,
          ((2020, "maintain", None, 50), (2022, "maintain", None, 50)), (4000, 9800), 5.0, 2.0, (350, 500)),
    _Spec("2a-n2", "percent", 1, 2015, frozenset({"2"}), 0.8, 2017, 6814,
          ((2020, "improve", None, 0), (2022, "improve", None, 0)), (3000, 9500), 6.0, 3.0, (450, 350)),
    _Spec("2b", "percent", -1, 2015, ALL, 1.0, 2016, 670,
          ((2020, "maintain", None, 50), (2022, "maintain", None, 50)), (100, 4000), 0.0, 0.0, (60, 120)),
    _Spec("3a", "percent", 1, 2015, ALL, 0.45, 2017, None,
          ((2020, "maintain", None, 50), (2022, "maintain", None, 50)), (6500, 9900), 3.0, 1.5, (200, 300)),
    _Spec("3b", "percent", 1, 2015, frozenset({"E", "2", "3", "34"}), 0.35, 2016, 2930,
          ((2020, "maintain", None, 50), (2022, "improve", None, 0)), (300, 9500), 4.0, 2.5, (350, 350)),
    _Spec("3d", "percent", 1, 2015, frozenset({"4", "34"}), 0.35, 2016, 3840,
          ((2020, "maintain", None, 50), (2022, "improve", None, 0)), (1000, 7500), 6.0, 2.5, (350, 350)),
    _Spec("3e", "percent", 1, 2016, frozenset({"4", "34"}), 0.12, 2016, None,
          ((2020, "monitor", None, 0),), (3000, 9500), 7.0, 2.0, (0, 0)),
    _Spec("4a", "percent", 1, 2017, ALL, 0.4, 2017, None, ((2020, "monitor", None, 0),), (3000, 9800), 5.0, 2.0, (0, 0)),
    _Spec("4b", "percent", 1, 2017, ALL, 1.0, 2017, None, ((2020, "monitor", None, 0),), (200, 10000), 6.0, 1.5, (0, 0)),
    _Spec("4c", "percent", 1, 2015, ALL, 0.15, 2017, None,
          ((2020, "maintain", None, 50), (2022, "maintain", None, 50)), (5000, 9800), 5.0, 2.0, (300, 450)),
    _Spec("5a", "percent", 1, 2017, ALL, 0.3, 2017, None, ((2020, "monitor", None, 0),), (200, 7000), 6.0, 1.5, (0, 0)),
]
# fmt: on
SPECS: dict[str, _Spec] = {spec.code: spec for spec in _SPECS}
INDICATORS = ("1a", "1b", "2a-entree", "2a-n2", "2b", "3a", "3b", "3c", "3d", "3e", "4a", "4b", "4c", "5a")

# The designed verdicts: (colleges meeting their ambition, institution met) per year, where
# None means "whatever follows" (only used when >= 8 of 12 colleges meet). 2019 is judged
# against the 2020 ambition, 2021 against the 2022 one (domain.md). Colleges without teams
# for an indicator (2a-entree: 5810, 7110; 2a-n2: 5810; 3d: 7110) count as not met.
_PLAN: dict[str, dict[int, tuple[int, bool | None]]] = {
    "1a": {2019: (6, False), 2020: (9, True), 2021: (5, False), 2022: (8, None)},
    "1b": {2019: (3, False), 2020: (7, True), 2021: (4, False), 2022: (6, False)},
    "2a-entree": {2019: (9, None), 2020: (8, None), 2021: (7, True), 2022: (8, None)},
    "2a-n2": {2019: (4, True), 2020: (6, True), 2021: (7, True), 2022: (8, None)},
    "2b": {2019: (11, None), 2020: (10, None), 2021: (7, False), 2022: (8, None)},
    "3a": {2019: (8, None), 2020: (5, False), 2021: (4, False), 2022: (9, None)},
    "3b": {2019: (7, True), 2020: (7, True), 2021: (5, False), 2022: (6, True)},
    "3d": {2019: (9, None), 2020: (8, None), 2021: (6, True), 2022: (8, None)},
    "4c": {2019: (11, None), 2020: (10, None), 2021: (9, None), 2022: (8, None)},
}
# 3c (kwalificatiewinst) is measured at institution level only (agenda 8.4): baseline 2017,
# behoud with tolerance 0.5 -> met in 2019, 2020 and 2022, not in 2021.
_3C = {2015: 4460, 2016: 4590, 2017: 4680, 2018: 4710, 2019: 4650, 2020: 4740, 2021: 4600, 2022: 4690}


# Per indicator a factor on the cohorts of each college, fitted once (least squares) so that the
# n-weighted mean of the published college values reproduces the published institution values
# within ~0.1 (agenda tables 7.4, 8.4). Without it the synthetic weights would put the
# institution 1-2 points away from the agenda's own totals.
_COHORT_TILT: dict[str, dict[str, float]] = {
    "1a": {"5110": 0.95, "5200": 1.17, "5210": 0.95, "5400": 0.93, "5800": 0.93, "5810": 1.06, "7100": 1.06},
    "2a-entree": {
        "5100": 1.26, "5110": 0.97, "5200": 1.07, "5210": 2.0, "5300": 0.74,
        "5400": 0.52, "5500": 1.5, "5800": 0.96, "7100": 1.36, "7200": 0.5,
    },
    "2a-n2": {
        "5100": 1.42, "5110": 1.25, "5200": 0.83, "5210": 1.41, "5300": 1.33, "5400": 0.92,
        "5500": 0.73, "5800": 1.25, "7100": 1.28, "7110": 0.71, "7200": 1.09,
    },
    "3b": {
        "5100": 0.87, "5110": 0.83, "5200": 0.99, "5210": 1.14, "5300": 0.74, "5400": 1.33,
        "5500": 1.21, "5800": 1.21, "5810": 0.81, "7100": 0.85, "7110": 0.96, "7200": 0.91,
    },
    "3d": {
        "5100": 0.71, "5110": 1.42, "5200": 0.71, "5210": 0.76, "5300": 0.89, "5400": 1.1,
        "5500": 1.1, "5800": 1.1, "5810": 1.06, "7100": 1.17, "7200": 1.09,
    },
}  # fmt: skip


def demo_teams() -> list[dict]:
    """Return the synthetic teams: [{"code", "name", "college", "active_from", "active_until"}, ...]."""
    return [
        {
            "code": t.code,
            "name": t.name,
            "college": t.college,
            "active_from": t.active_from,
            "active_until": t.active_until,
        }
        for t in TEAMS
    ]


def _parse_hundredths(text: str) -> int:
    """Return '77.5' as 7750."""
    return int((Fraction(text.strip()) * HUNDRED).limit_denominator(1))


def _published() -> tuple[dict[tuple[str, str, int], int], dict[tuple[str, int], int]]:
    """Return the agenda's published college and institution values (hundredths)."""
    colleges: dict[tuple[str, str, int], int] = {}
    institution: dict[tuple[str, int], int] = {}
    with COLLEGE_VALUES_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            value = _parse_hundredths(row["value"])
            if row["college"].strip():
                colleges[(row["indicator"], row["college"].strip(), int(row["year"]))] = value
            else:
                institution[(row["indicator"], int(row["year"]))] = value
    return colleges, institution


def _fmt(hundredths: int) -> str:
    """Return 7750 as '77.5' and 6911 as '69.11' (at most two decimals, a decimal point)."""
    whole, frac = divmod(hundredths, HUNDRED)
    return f"{whole}.{frac // 10}" if frac % 10 == 0 else f"{whole}.{frac:02d}"


def _round1(value: float) -> int:
    """Return `value` (in value units) in hundredths, rounded to one decimal."""
    return round(value * 10) * STEP


def _mean(pairs) -> Fraction | None:
    """Return the n-weighted mean of (value, n) pairs, exactly."""
    pairs = list(pairs)
    weight = sum(n for _, n in pairs)
    if not weight:
        return None
    return Fraction(sum(v * n for v, n in pairs), weight)


class _Generator:
    """Holds the random state and the values while one data set is made."""

    def __init__(self, seed: int):
        self.master = random.Random(seed)
        self.pub_c, self.pub_i = _published()
        # values[code][(team, year)] = (value in hundredths, n)
        self.values: dict[str, dict[tuple[str, int], tuple[int, int]]] = {}
        self.teams_by_code = {t.code: t for t in TEAMS}

    # -- helpers -----------------------------------------------------------------------------

    def eligible(self, spec: _Spec, team: _Team) -> list[int]:
        """Return the years in which `team` has a value for `spec`."""
        if team.level not in spec.levels:
            return []
        return [y for y in YEARS if y >= spec.first and team.active(y)]

    def cohort(self, rng: random.Random, spec: _Spec) -> dict[tuple[str, int], int]:
        """Return n per (team, year): the team's cohort, roughly stable over the years."""
        out = {}
        for team in TEAMS:
            level_factor = 0.8 if team.level == "E" and spec.code.startswith("2a") else 1.0
            tilt = _COHORT_TILT.get(spec.code, {}).get(team.college, 1.0)
            base = team.base_n * spec.n_factor * level_factor * tilt
            for year in YEARS:
                out[(team.code, year)] = max(8, min(400, round(base * (1 + rng.gauss(0, 0.06)))))
        return out

    def college_value(self, code: str, college: str, year: int) -> Fraction | None:
        """Return the college's value: the published one, else the mean of its teams."""
        if (code, college, year) in self.pub_c:
            return Fraction(self.pub_c[(code, college, year)])
        vals = self.values[code]
        return _mean(vals[(t.code, year)] for t in TEAMS if t.college == college and (t.code, year) in vals)

    def institution_value(self, code: str, year: int) -> Fraction | None:
        """Return the institution value as the engine derives it (given, else weighted means)."""
        if (code, year) in self.pub_i:
            return Fraction(self.pub_i[(code, year)])
        pairs = []
        for college in COLLEGES:
            value = self.college_value(code, college, year)
            weight = sum(
                self.values[code][(t.code, year)][1]
                for t in TEAMS
                if t.college == college and (t.code, year) in self.values[code]
            )
            if value is not None and weight:
                pairs.append((value, weight))
        return _mean(pairs)

    def fit(self, code: str, college: str, year: int, target: int, tolerance: int, bounds) -> None:
        """Nudge the college's rounded team values until their weighted mean is within `tolerance`."""
        vals = self.values[code]
        keys = [(t.code, year) for t in TEAMS if t.college == college and (t.code, year) in vals]
        for _ in range(200):
            mean = _mean(vals[k] for k in keys)
            error = mean - target
            if abs(error) <= tolerance:
                return
            step = -STEP if error > 0 else STEP
            best = None
            for k in keys:
                value, n = vals[k]
                if not bounds[0] <= value + step <= bounds[1]:
                    continue
                after = abs(_mean((vals[j] if j != k else (value + step, n)) for j in keys) - target)
                if best is None or after < best[0]:
                    best = (after, k)
            if best is None:
                return
            value, n = vals[best[1]]
            vals[best[1]] = (value + step, n)

    # -- indicators -------------------------------------------------------------------------------

    def profile(self, spec: _Spec, team: _Team, year: int, college_means: dict) -> float:
        """Return a team's expected value (value units) in a year before the design years."""
        code = spec.code
        if code == "2b":
            # vsv by level (agenda 7.4: entree ~26-30 %, niveau 2 9-10 %, niveau 3 and 4 ~5 %).
            return {"E": 28.0 - 1.0 * (year - 2015), "2": 9.5, "3": 4.7, "34": 4.9, "4": 5.1}[team.level]
        if code == "3e":
            return 62.0 + college_means[team.college]
        if code == "4a":
            level = {"E": 48.0, "2": 66.0, "3": 76.0, "34": 73.0, "4": 70.0}[team.level]
            return level + (6.0 if team.growth else 0.0) + college_means[team.college] + 0.8 * (year - 2017)
        if code == "4b":
            return (82.0 if team.growth else 22.0) + 0.6 * (year - 2017)
        if code == "4c":
            return 71.0 + college_means[team.college] + 1.3 * (min(year, 2017) - 2015)
        if code == "5a":
            level = {"E": 10.0, "2": 22.0, "3": 28.0, "34": 24.0, "4": 18.0}[team.level]
            return level + college_means[team.college] + 0.8 * (year - 2017)
        # Indicators with published college values: around the college's value.
        level = 0.0
        if code == "3b":
            # Doorstroom entree -> 2 is highest, from a 3/4 team only niveau 3 flows up (agenda 8.4).
            level = {"E": 22.0, "2": 12.0, "3": 6.0, "34": -7.0}[team.level]
        return college_means[(team.college, year)] + level

    def college_means(self, rng: random.Random, spec: _Spec) -> dict:
        """Return per college (and year) the centre of its teams before the design years."""
        code = spec.code
        if code in ("3e", "4a", "4c", "5a"):
            return {c: rng.gauss(0, 4.0 if code != "4a" else 3.0) for c in COLLEGES}
        if code in ("2b", "4b", "1b"):
            return {}
        means = {}
        pub_years = sorted({y for (i, _, y) in self.pub_c if i == code})
        for college in COLLEGES:
            known = {y: self.pub_c[(code, college, y)] / HUNDRED for y in pub_years if (code, college, y) in self.pub_c}
            if not known:
                inst = {y: self.pub_i.get((code, y)) for y in pub_years}
                offset = rng.gauss(0, spec.spread / 2)
                known = {y: (v / HUNDRED if v is not None else 0.0) + offset for y, v in inst.items()}
            last = max(known)
            value = known[last]
            for year in YEARS:
                if year in known:
                    means[(college, year)] = known[year]
                elif year > last:
                    value += rng.gauss(0.3 if spec.unit == "percent" else 0.03, spec.noise / 2)
                    means[(college, year)] = value
                else:
                    means[(college, year)] = known[min(known)]
        return means

    def make_history(self, spec: _Spec, rng: random.Random, n: dict, last_year: int) -> None:
        """Make the team values up to `last_year`, fitted to the published college values."""
        code = spec.code
        vals = self.values.setdefault(code, {})
        centres = self.college_means(rng, spec)
        for team in TEAMS:
            offset = rng.gauss(0, spec.spread)
            if code == "2b":
                # Relative: vsv differs by team as a factor; entree teams are alike (agenda 7.1).
                offset = rng.gauss(1.0, 0.08 if team.level == "E" else 0.16)
            if code == "4b":
                offset = rng.gauss(0, 7.0)
            drift = 0.0
            for year in self.eligible(spec, team):
                if year > last_year:
                    break
                drift += rng.gauss(0, spec.noise)
                spread = {2015: 1.3, 2016: 1.15}.get(year, 1.0) if code in ("1a", "4c") else 1.0
                base = self.profile(spec, team, year, centres)
                if code == "2b":
                    value = base * offset * (1 + rng.gauss(0, 0.06))
                else:
                    value = base + spread * offset + drift
                vals[(team.code, year)] = (value, n[(team.code, year)])
        # Shift each published college to its published mean (later years keep the last shift,
        # so a series continues from the published figures), then round and fit.
        for college in COLLEGES:
            shift = 0.0
            for year in YEARS:
                keys = [(t.code, year) for t in TEAMS if t.college == college and (t.code, year) in vals]
                if not keys:
                    continue
                published = self.pub_c.get((code, college, year))
                if published is not None:
                    mean = sum(vals[k][0] * vals[k][1] for k in keys) / sum(vals[k][1] for k in keys)
                    shift = published / HUNDRED - mean
                for k in keys:
                    vals[k] = (vals[k][0] + shift, vals[k][1])
                lo, hi = spec.bounds
                for k in keys:
                    vals[k] = (min(hi, max(lo, _round1(vals[k][0]))), vals[k][1])
                if published is not None:
                    self.fit(code, college, year, published, 2 if code == "1a" else STEP, spec.bounds)

    def calibrate_2b(self) -> None:
        """Scale the synthetic vsv so that the institution value of 2016 is the agenda's 6.7 %."""
        vals = self.values["2b"]
        raw = _mean((v, n) for (team, year), (v, n) in vals.items() if year == 2016)
        factor = Fraction(670) / raw
        lo, hi = SPECS["2b"].bounds
        for key, (v, n) in list(vals.items()):
            vals[key] = (min(hi, max(lo, _round1(float(v * factor) / HUNDRED))), n)

    def make_1b(self, rng: random.Random, n: dict) -> None:
        """Make the first 1b measurement (2018): colleges 32-46 %, teams 13-81 %, institution ~38 %."""
        vals = self.values.setdefault("1b", {})
        # Agenda 6.4: college baselines vary from 32 to 46 %, teams from 13 to 81 %, mean 38 %.
        means = {
            "5100": 36.0, "5110": 39.0, "5200": 32.0, "5210": 37.0, "5300": 40.0, "5400": 35.0,
            "5500": 41.0, "5800": 46.0, "5810": 43.0, "7100": 38.0, "7110": 34.0, "7200": 36.0,
        }  # fmt: skip
        fixed = {"5200-MET": 1300, "5800-REI": 8100}
        teams_2018 = [t for t in TEAMS if 2018 in self.eligible(SPECS["1b"], t)]
        weights = {c: sum(n[(t.code, 2018)] for t in teams_2018 if t.college == c) for c in COLLEGES}
        inst = sum(means[c] * weights[c] for c in COLLEGES) / sum(weights.values())
        middle = [c for c in COLLEGES if means[c] not in (32.0, 46.0)]
        shift = (38.0 * sum(weights.values()) - inst * sum(weights.values())) / sum(weights[c] for c in middle)
        for c in middle:
            means[c] += shift
        for college in COLLEGES:
            members = [t for t in teams_2018 if t.college == college]
            raw = {t.code: means[college] + rng.gauss(0, SPECS["1b"].spread) for t in members}
            free = [t.code for t in members if t.code not in fixed]
            for _ in range(5):
                total = sum(n[(t.code, 2018)] for t in members)
                fixed_part = sum(fixed[c] / HUNDRED * n[(c, 2018)] for c in fixed if c in raw)
                free_sum = sum(raw[c] * n[(c, 2018)] for c in free)
                free_w = sum(n[(c, 2018)] for c in free)
                delta = (means[college] * total - fixed_part - free_sum) / free_w
                for c in free:
                    raw[c] = min(78.0, max(16.0, raw[c] + delta))
            for t in members:
                value = fixed.get(t.code, _round1(raw[t.code]))
                vals[(t.code, 2018)] = (value, n[(t.code, 2018)])
            # Nudge only values inside 16-78 %, so that 13 % and 81 % stay the extremes.
            self.fit("1b", college, 2018, _round1(means[college]), STEP, (1600, 7800))

    def reference(self, spec: _Spec, team: _Team) -> Fraction | None:
        """Return the team's reference: its own value in the baseline year, else its college's."""
        own = self.values[spec.code].get((team.code, spec.baseline_year))
        if own is not None:
            return Fraction(own[0])
        college = self.college_value(spec.code, team.college, spec.baseline_year)
        if college is None:
            raise ValueError(f"{spec.code}: team {team.code} has no reference")
        return college

    def institution_baseline(self, spec: _Spec) -> Fraction:
        """Return b: the agenda's baseline value, else the data's institution value."""
        if spec.baseline is not None:
            return Fraction(spec.baseline)
        return self.institution_value(spec.code, spec.baseline_year)

    @staticmethod
    def ambition(spec: _Spec, year: int) -> tuple[str, int | None, int]:
        """Return (type, target, tolerance) in force in `year` (the nearest later ambition)."""
        for amb_year, kind, target, tol in spec.ambitions:
            if amb_year >= year:
                return kind, target, tol
        raise ValueError(f"no ambition for {spec.code} in {year}")

    @staticmethod
    def contributes(kind: str, d: int, value, reference, target, b, tol) -> bool:
        """Return step 2 of the two-thirds rule (domain.md) for one unit."""
        change = d * (value - reference)
        if kind == "target":
            return change >= d * (target - b) or d * (value - target) >= 0
        if kind == "improve":
            return change > 0
        return change >= -tol

    @staticmethod
    def institution_gap(kind: str, d: int, value, target, b, tol):
        """Return how far the institution is past step 1 of the rule (met: >= 0; > 0 for improve)."""
        if kind == "target":
            return d * (value - target)
        if kind == "improve":
            return d * (value - b)
        return d * (value - b) + tol

    def design(self, spec: _Spec, rng: random.Random, n: dict) -> None:
        """Make the values of 2019-2022 so that the verdicts follow `_PLAN`."""
        code, d = spec.code, spec.d
        vals = self.values[code]
        b = self.institution_baseline(spec)
        college_rank = {c: rng.random() for c in COLLEGES}
        team_rank = {t.code: rng.random() for t in TEAMS}
        team_size = {t.code: rng.random() for t in TEAMS}
        edge_ok = {t.code: rng.random() < 0.1 for t in TEAMS}
        for year in DESIGN_YEARS:
            kind, target, tol = self.ambition(spec, year)
            want_colleges, want_institution = _PLAN[code][year]
            members = [t for t in TEAMS if year in self.eligible(spec, t)]
            refs = {t.code: self.reference(spec, t) for t in members}
            # Sorted first: the noise must be drawn in a fixed order (sets of str are not).
            noisy = {c: college_rank[c] + rng.gauss(0, 0.15) for c in sorted({t.college for t in members})}
            with_data = sorted(noisy, key=lambda c: -noisy[c])
            if want_colleges > len(with_data):
                raise ValueError(f"{code} {year}: {want_colleges} colleges planned, {len(with_data)} have data")
            meeting = set(with_data[:want_colleges])
            status: dict[str, bool] = {}
            for college in with_data:
                # Teams already at a target tend to stay there: rank them first.
                noisy = {
                    t.code: team_rank[t.code]
                    + rng.gauss(0, 0.2)
                    + (1.0 if kind == "target" and d * (refs[t.code] - target) >= 0 else 0.0)
                    for t in members
                    if t.college == college
                }
                teams = sorted((t for t in members if t.college == college), key=lambda t: -noisy[t.code])
                total = len(teams)
                needed = two_thirds_needed(total)
                if college in meeting:
                    count = rng.randint(needed, total)
                else:
                    count = rng.randint(max(0, needed - 1 - total // 3), needed - 1)
                for i, t in enumerate(teams):
                    status[t.code] = i < count
            sizes = {t.code: min(1.0, max(0.0, team_size[t.code] + rng.gauss(0, 0.15))) for t in members}
            edges = {t.code: edge_ok[t.code] and rng.random() < 0.5 for t in members}
            factors = [1.0] if want_institution is None else [1.0, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]
            for factor in factors:
                amp_c, amp_f = spec.amp
                if want_institution:
                    amp_c, amp_f = amp_c * factor, amp_f / factor
                elif want_institution is False:
                    amp_c, amp_f = amp_c / factor, amp_f * factor
                rule = (kind, target, tol, b)
                for t in members:
                    value = self.designed_value(spec, rule, refs[t.code], status[t.code], sizes[t.code],
                                                edges[t.code], (amp_c, amp_f))  # fmt: skip
                    vals[(t.code, year)] = (value, n[(t.code, year)])
                if want_institution is None:
                    break
                gap = self.institution_gap(kind, d, self.institution_value(code, year), target, b, tol)
                met = gap > 0 if kind == "improve" else gap >= 0
                # Keep the institution at least 0.05 from its threshold: a designed verdict, not luck.
                if met == want_institution and abs(gap) >= 5:
                    break
            else:
                raise ValueError(f"{code} {year}: institution verdict {want_institution} not reachable")

    def designed_value(self, spec, rule, ref, contributing, size, edge, amps) -> int:
        """Return a one-decimal team value (hundredths) that does or does not contribute.

        `rule` is (type, target, tolerance, b) of the ambition in force, `size` in [0, 1] scales
        the move between the threshold and `amps` (contributing, not contributing), and `edge`
        allows a value exactly on the threshold (a close call that must still count).
        """
        d = spec.d
        kind, target, tol, b = rule
        amp_c, amp_f = amps
        if kind == "target":
            threshold = min(d * (target - b), d * (target - ref))
        elif kind == "improve":
            threshold = Fraction(STEP)
        else:
            threshold = Fraction(-tol)
        exact = ref.denominator == 1 and ref % STEP == 0
        if contributing:
            margin = 0 if (edge and exact) else STEP
            change = threshold + margin + amp_c * size
            if kind == "target" and d * (ref - target) >= 0:
                # Already at the target: the team moves a little and stays at or above it.
                change = max(threshold + margin, (size - 0.4) * amp_c)
        else:
            change = threshold - STEP - amp_f * size
            if kind == "improve":
                change = -amp_f * size  # no change at all does not count as improvement
        lo, hi = _UNIT_RANGE[spec.unit]
        value = min(hi, max(lo, round((ref + d * change) / STEP) * STEP))
        while lo <= value <= hi:
            if self.contributes(kind, d, value, ref, target, b, tol) == contributing:
                # Keep at least 0.05 away from the threshold when the reference is an aggregate,
                # so an engine that rounds aggregates to a few decimals agrees.
                if exact or abs(self.contributes_margin(kind, d, value, ref, target, b, tol)) >= 5:
                    return value
            value += d * STEP if contributing else -d * STEP
        raise ValueError(f"{spec.code}: cannot place a team value near {ref}")

    @staticmethod
    def contributes_margin(kind, d, value, ref, target, b, tol):
        """Return the distance of a team value from its contribution threshold (hundredths)."""
        change = d * (value - ref)
        if kind == "target":
            return max(change - d * (target - b), d * (value - target))
        if kind == "improve":
            return change
        return change + tol

    def make(self) -> None:
        """Make all indicator values."""
        for spec in _SPECS:
            rng = random.Random(self.master.getrandbits(64))
            n = self.cohort(rng, spec)
            if spec.code == "1b":
                self.make_1b(rng, n)
            else:
                last = 2018 if spec.code in _PLAN else LAST_YEAR
                self.make_history(spec, rng, n, last)
                if spec.code == "2b":
                    self.calibrate_2b()
            if spec.code in _PLAN:
                self.design(spec, rng, n)
            if spec.code == "4a":
                # CBS releases no figure for small teams (privacy, agenda 9.4).
                vals = self.values["4a"]
                for key in [k for k, (_, count) in vals.items() if count < 20]:
                    del vals[key]

    def students(self) -> dict[tuple[str, int], int]:
        """Return synthetic student numbers per college and year, slowly varying."""
        rng = random.Random(self.master.getrandbits(64))
        out = {}
        for college, (_, _, base) in COLLEGES.items():
            out[(college, 2017)] = base
            value = float(base)
            for year in range(2018, LAST_YEAR + 1):
                value *= 1 + rng.gauss(0.004, 0.018)
                out[(college, year)] = value
            value = float(base)
            for year in range(2016, FIRST_YEAR - 1, -1):
                value /= 1 + rng.gauss(0.004, 0.018)
                out[(college, year)] = value
        return {k: max(900, min(6000, round(v))) for k, v in out.items()}

    def rows(self) -> list[dict]:
        """Return every row in the long benchmark format (contracts.md section 2)."""
        out = []
        order = {code: i for i, code in enumerate(INDICATORS)}
        for code, vals in self.values.items():
            for (team_code, year), (value, n) in vals.items():
                team = self.teams_by_code[team_code]
                out.append(_row(year, code, team.college, team_code, _fmt(value), n))
        for (code, college, year), value in self.pub_c.items():
            keys = [(t.code, year) for t in TEAMS if t.college == college and (t.code, year) in self.values[code]]
            weight = sum(self.values[code][k][1] for k in keys)
            out.append(_row(year, code, college, "", _fmt(value), weight or ""))
        for (code, year), value in self.pub_i.items():
            out.append(_row(year, code, "", "", _fmt(value), ""))
        for year, value in _3C.items():
            out.append(_row(year, "3c", "", "", _fmt(value), ""))
        for (college, year), count in self.students().items():
            out.append(_row(year, STUDENTS, college, "", str(count), ""))
        out.sort(key=lambda r: (order.get(r["indicator"], len(order)), r["jaar"], r["college"], r["team"]))
        return out


def _row(year: int, indicator: str, college: str, team: str, value: str, n) -> dict:
    """Return one row of the long format."""
    return {"jaar": year, "indicator": indicator, "college": college, "team": team, "waarde": value, "n": n}


def demo_rows(seed: int = 2019) -> list[dict]:
    """Return synthetic benchmark rows in the long format of contracts.md section 2.

    Keys "jaar", "indicator", "college", "team", "waarde", "n": the year and n are integers (n is
    "" where it does not apply), "waarde" a string with a decimal point and at most two
    decimals (an integer for `studenten`); "college" and "team" are "" when not applicable.
    """
    generator = _Generator(seed)
    generator.make()
    return generator.rows()


def write_demo_csv(path, seed: int = 2019) -> int:
    """Write demo_rows as a semicolon CSV with Dutch decimal commas; return the number of rows."""
    rows = demo_rows(seed)
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(
                [row["jaar"], row["indicator"], row["college"], row["team"], row["waarde"].replace(".", ","), row["n"]]
            )
    return len(rows)
