"""A small agenda with a composite indicator (issue 18, the IBM) and a breakdown, for the loader and recompute tests.

Composite 1a = 1a-les (0.5) + 1a-beg (0.3) + 1a-sfeer (0.2), the example of
tests/rapportage/engine/test_composite.py: college C100 has teams C100-T1..T3, college C200
has C200-T1 and C200-T2.
"""

import copy
from decimal import Decimal


def component(code: str, name: str) -> dict:
    """Return a component indicator: a percentage measured per team, college and institution."""
    return {
        "code": code,
        "name": name,
        "unit": "percent",
        "polarity": "higher",
        "levels": ["team", "college", "institution"],
        "baseline": {"year": 2017, "value": 60},
    }


def composite_agenda(code: str = "CMP", weight_by_n: bool | None = None) -> dict:
    """Return the agenda file (contracts.md section 1 plus issue 18's keys) as a dict."""
    composite = {
        "components": [
            {"indicator": "1a-les", "weight": Decimal("0.5")},
            {"indicator": "1a-beg", "weight": Decimal("0.3")},
            {"indicator": "1a-sfeer", "weight": Decimal("0.2")},
        ]
    }
    if weight_by_n is not None:
        composite["weight_by_n"] = weight_by_n
    return copy.deepcopy(
        {
            "institution": {"code": code, "name": f"Instelling {code}"},
            "period": {"start": 2019, "end": 2022},
            "colleges": [
                {
                    "code": college,
                    "name": f"College {college}",
                    "teams": [{"code": f"{college}-T{i}", "name": f"Team {i}"} for i in range(1, teams + 1)],
                }
                for college, teams in (("C100", 3), ("C200", 2))
            ],
            "themes": [
                {
                    "code": "T1",
                    "name": "Tevredenheid",
                    "national": True,
                    "budget_share_pct": 100,
                    "indicators": [
                        # The composite first: its components come later in the file.
                        {
                            "code": "1a",
                            "name": "Interne benchmark (IBM)",
                            "unit": "percent",
                            "polarity": "higher",
                            "levels": ["team", "college", "institution"],
                            "baseline": {"year": 2017, "value": 60},
                            "ambitions": [{"year": 2020, "type": "target", "target": 65}],
                            "composite": composite,
                        },
                        {
                            **component("1a-les", "Tevredenheid over de lessen"),
                            "breakdowns": {"vooropleiding": ["PrO", "vso", "vmbo-b"], "niveau": [1, 2, 3, 4]},
                        },
                        component("1a-beg", "Tevredenheid over de begeleiding"),
                        component("1a-sfeer", "Tevredenheid over de sfeer"),
                    ],
                }
            ],
            "budget": [{"year": 2020, "total_eur": 1000000, "result_dependent_pct": 25}],
        }
    )


# The example's 2020 team values (value, n) per component (tests/rapportage/engine/test_composite.py).
TEAM_VALUES_2020 = {
    "C100-T1": {"1a-les": ("80", 10), "1a-beg": ("70", 20), "1a-sfeer": ("60", 30)},
    "C100-T2": {"1a-les": ("90", 10), "1a-beg": ("60", 10), "1a-sfeer": ("50", 10)},
    "C100-T3": {"1a-les": ("70", 20), "1a-beg": ("80", 20)},
    "C200-T1": {"1a-les": ("60", 15), "1a-beg": ("50", 15), "1a-sfeer": ("40", 35)},
    "C200-T2": {"1a-les": ("70", 5), "1a-beg": ("65", 5), "1a-sfeer": ("55", 5), "1a": ("99", None)},
}


def benchmark_csv(path) -> None:
    """Write the example's 2020 values as a benchmark file (contracts.md section 2)."""
    lines = ["jaar;indicator;college;team;waarde;n"]
    for team, values in TEAM_VALUES_2020.items():
        for indicator, (value, n) in values.items():
            lines.append(f"2020;{indicator};{team[:4]};{team};{value};{'' if n is None else n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
