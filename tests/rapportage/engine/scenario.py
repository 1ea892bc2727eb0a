"""A small builder of engine inputs so that each test states its case in a few lines."""

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from rapportage.engine.attainment import evaluate
from rapportage.engine.numbers import to_units


@dataclass
class Scenario:
    """One institution with one indicator; add colleges, teams and values, then judge."""

    polarity: int = 1
    baseline_year: int = 2017
    baseline_value: str | None = None
    institution_only: bool = False
    ambitions: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    colleges: dict[int, bool] = field(default_factory=dict)

    def ambition(self, year, kind, target=None, tolerance="0", indicative=False):
        """Add an ambition for `year`."""
        self.ambitions.append(
            {
                "indicator": 1,
                "year": year,
                "type": kind,
                "target": to_units(target) if target is not None else None,
                "tolerance": to_units(tolerance),
                "indicative": indicative,
                "ambition_id": len(self.ambitions) + 1,
            }
        )
        return self

    def college(self, college, active=True):
        """Add a college (by numeric id)."""
        self.colleges[college] = active
        return self

    def team(self, college, team, values: dict[int, str], n=None):
        """Add one team's values per year."""
        self.colleges.setdefault(college, True)
        for year, value in values.items():
            self.rows.append(
                {
                    "indicator": 1,
                    "year": year,
                    "level": "team",
                    "college": college,
                    "team": team,
                    "value": to_units(value),
                    "n": n,
                }
            )
        return self

    def college_value(self, college, year, value, n=None):
        """Add a given college value."""
        self.colleges.setdefault(college, True)
        self.rows.append(
            {
                "indicator": 1,
                "year": year,
                "level": "college",
                "college": college,
                "team": None,
                "value": to_units(value),
                "n": n,
            }
        )
        return self

    def institution_value(self, year, value):
        """Add a given institution value."""
        self.rows.append(
            {
                "indicator": 1,
                "year": year,
                "level": "institution",
                "college": None,
                "team": None,
                "value": to_units(value),
                "n": None,
            }
        )
        return self

    def frames(self):
        """Return the engine's input frames."""
        measurements = pd.DataFrame(
            self.rows, columns=["indicator", "year", "level", "college", "team", "value", "n"]
        ).astype(
            {"indicator": "int64", "year": "int64", "college": "Int64", "team": "Int64", "value": "Int64", "n": "Int64"}
        )
        indicators = pd.DataFrame(
            [
                {
                    "indicator": 1,
                    "institution": 1,
                    "polarity": self.polarity,
                    "institution_only": self.institution_only,
                    "baseline_year": self.baseline_year,
                    "baseline_value": to_units(self.baseline_value) if self.baseline_value is not None else None,
                }
            ]
        )
        ambitions = pd.DataFrame(
            self.ambitions, columns=["indicator", "year", "type", "target", "tolerance", "indicative", "ambition_id"]
        )
        colleges = pd.DataFrame(
            [{"college": c, "institution": 1, "active": a} for c, a in sorted(self.colleges.items())],
            columns=["college", "institution", "active"],
        )
        return measurements, indicators, ambitions, colleges

    def judge(self, years=(2020,)):
        """Return (aggregates, attainment) for `years`."""
        return evaluate(*self.frames(), list(years))

    def verdict(self, year=2020) -> dict:
        """Return the indicator row of `year` as a dict."""
        _, att = self.judge((year,))
        return att.indicators.iloc[0].to_dict()


def dec(units) -> Decimal | None:
    """Return engine units as a Decimal."""
    from rapportage.engine.numbers import to_decimal

    return to_decimal(units)


def colleges_meeting(scenario: Scenario, met: int, total: int, year=2020, base="6.0"):
    """Add `total` colleges with one team each, of which `met` improved (for an improve ambition)."""
    for college in range(1, total + 1):
        value = "7.0" if college <= met else "5.0"
        scenario.team(college, 100 + college, {scenario.baseline_year: base, year: value})
    return scenario


def two_thirds(total: int) -> int:
    """Return the smallest k with 3*k >= 2*total, by counting up (a reference, not the engine's formula)."""
    return next(k for k in range(total + 1) if 3 * k >= 2 * total)


def colleges_by_teams(combos: list[tuple[int, int]], year=2020) -> dict[tuple[int, int], dict]:
    """Return the engine's college row per (teams, contributed) combination, one college each (improve)."""
    scenario = Scenario().ambition(year, "improve")
    team = 0
    for college, (total, contributed) in enumerate(combos, start=1):
        for i in range(total):
            team += 1
            scenario.team(college, team, {scenario.baseline_year: "50", year: "55" if i < contributed else "45"})
    _, att = scenario.judge((year,))
    rows = att.colleges.set_index("college")
    return {combo: rows.loc[college].to_dict() for college, combo in enumerate(combos, start=1)}
