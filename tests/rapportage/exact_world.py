"""A small institution with one count indicator, for numbers at the edge of what the formats accept.

Counts have no upper bound but storage's (kern.rules.MAX_VALUE), so they carry values of 18
significant digits (12 before the comma, 6 after) through every channel (issue 11 part 7).
"""

from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command

from agenda.choices import Level
from agenda.models import Indicator, Institution, Team
from agenda.services import agenda_load
from indicatoren.models import Measurement

# 18 significant digits: past the 15 a binary REAL (SQLite) or a float keeps.
V18 = "123456789012.345678"
V18_NL = "123456789012,345678"
# The value the importer accepted and the recompute crashed on (issue 11 part 7).
V16_NL = "999999999999,9999"


def exact_agenda(code: str = "EXA") -> dict:
    """Return an agenda file (contracts.md section 1) with one college of two teams and one count indicator."""
    return {
        "institution": {"code": code, "name": f"Instelling {code}"},
        "period": {"start": 2019, "end": 2022},
        "colleges": [
            {
                "code": "C1",
                "name": "College 1",
                "teams": [{"code": "C1-T1", "name": "Team 1"}, {"code": "C1-T2", "name": "Team 2"}],
            }
        ],
        "themes": [
            {
                "code": "T1",
                "name": "Aantallen",
                "national": True,
                "budget_share_pct": 100,
                "indicators": [
                    {
                        "code": "cnt",
                        "name": "Een groot aantal",
                        "unit": "count",
                        "polarity": "higher",
                        "levels": ["team", "college", "institution"],
                        # Strings: a YAML or JSON float would already have dropped digits.
                        "baseline": {"year": 2017, "value": "123456789012,345677"},
                        "ambitions": [{"year": 2020, "type": "target", "target": V18_NL}],
                    }
                ],
            }
        ],
        "budget": [{"year": 2020, "total_eur": 1000, "result_dependent_pct": 25}],
    }


def load_exact_world(code: str = "EXA") -> Institution:
    """Load the agenda and return the institution (no values yet)."""
    return agenda_load(data=exact_agenda(code)).institution


def measure(value: str, team_code: str = "C1-T1", year: int = 2020, institution: str = "EXA") -> Measurement:
    """Store one team value of indicator cnt (straight through the ORM: the storage is what is tested)."""
    team = Team.objects.get(institution__code=institution, code=team_code)
    indicator = Indicator.objects.get(institution=team.institution, code="cnt")
    return Measurement.objects.create(
        indicator=indicator, year=year, level=Level.TEAM, college=team.college, team=team, value=Decimal(value)
    )


def benchmark_file(tmp_path: Path, rows: list[tuple], name: str = "data.csv") -> Path:
    """Write a benchmark CSV (contracts.md section 2) with rows (year, college, team, value) for indicator cnt."""
    lines = ["jaar;indicator;college;team;waarde"] + [
        f"{year};cnt;{college};{team};{value}" for year, college, team, value in rows
    ]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args) -> tuple[int, str, str]:
    """Run a management command; return (exit status, stdout, stderr) as the shell would see them."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:  # what manage.py prints on stderr before exiting with its status
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()
