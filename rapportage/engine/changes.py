"""What changed between two recomputes beyond indicator and college verdicts: team contributions and euros.

The board's "Wat is er veranderd" page (issue 15, item 3) lists every verdict that flipped and
every budget amount that moved. Indicator and college flips come from payload.verdict_flips
(shared with an upload's dry run); this module adds the team level, which a director's grid
entry moves first, and the budget amounts per year and theme. Pure: no Django.
"""

import hashlib
from operator import itemgetter

import orjson

# The amounts of a theme the board follows, in the order the page lists them (contracts.md section 4).
BUDGET_KINDS = ("released", "reserved", "released_from_reserve")


_TEAM_VERDICT = itemgetter("team", "contributed")


def verdict_signature(status: dict) -> str:
    """Return the digest of every verdict a STATUS body holds: its own, each college's and each team's.

    verdict_flips and team_flips compare nothing else, so two bodies of one indicator and year
    with one signature give no flip. A recompute stores it with the body and reads the stored body
    back for the flips only when the signatures differ: where every value moved, reading and
    comparing the replaced bodies was an eighth of the recompute (docs/benchmarks.md 16).
    """
    verdicts = [
        status["attained"],
        [
            (college["college"], college["met"], list(map(_TEAM_VERDICT, college.get("teams", []))))
            for college in status.get("colleges", [])
        ],
    ]
    # orjson and map over an itemgetter: a third of the time of repr over a comprehension, for the
    # 7,800 bodies of a sector where every value moved.
    return hashlib.blake2b(orjson.dumps(verdicts), digest_size=16).hexdigest()


def team_flips(before, after) -> list[dict]:
    """Return the teams whose contribution differs between two sets of STATUS bodies.

    Like verdict_flips, a unit that was not judged before (a new year, indicator, college or
    team) is no flip; a team going from no value (None) to a verdict is.
    """
    earlier = {}
    for status in before:
        for college in status.get("colleges", []):
            for team in college.get("teams", []):
                earlier[(status["indicator"], status["year"], college["college"], team["team"])] = team["contributed"]
    flips = []
    for status in after:
        for college in status.get("colleges", []):
            for team in college.get("teams", []):
                key = (status["indicator"], status["year"], college["college"], team["team"])
                if key not in earlier or earlier[key] == team["contributed"]:
                    continue
                flips.append(
                    {
                        "indicator": status["indicator"],
                        "year": status["year"],
                        "college": college["college"],
                        "team": team["team"],
                        "old": earlier[key],
                        "new": team["contributed"],
                    }
                )
    return flips


def theme_amounts(payload: dict) -> dict[str, dict[str, int]]:
    """Return per theme code the released, reserved and released-from-reserve cents of one budget body."""
    amounts = {}
    for theme in payload.get("themes", []):
        colleges = theme.get("colleges", [])
        amounts[theme["theme"]] = {
            "released": sum(college["released_cents"] for college in colleges),
            "reserved": sum(college["reserved_cents"] for college in colleges),
            "released_from_reserve": theme["released_from_reserve_cents"],
        }
    return amounts


def budget_changes(before: dict[int, dict], after: dict[int, dict]) -> list[dict]:
    """Return every theme amount that differs between two sets of budget bodies ({year: body}), in cents.

    A year or theme that had no budget before is no change, as a new verdict is no flip.
    """
    changes = []
    for year in sorted(after):
        if year not in before:
            continue
        old_themes, new_themes = theme_amounts(before[year]), theme_amounts(after[year])
        for theme, new in new_themes.items():
            old = old_themes.get(theme)
            if old is None:
                continue
            for kind in BUDGET_KINDS:
                if old[kind] != new[kind]:
                    changes.append(
                        {"year": year, "theme": theme, "kind": kind, "old_cents": old[kind], "new_cents": new[kind]}
                    )
    return changes
