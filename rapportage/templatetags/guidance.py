"""Template filters for what a team needs to contribute (issue 15, item 1); words from engine/words.py."""

from decimal import Decimal

from django import template

from rapportage.engine import words

register = template.Library()


@register.filter
def need_text(team: dict, polarity: str = "higher") -> str:
    """Return a STATUS team entry's needed value with its comparison ("≥ 6,9"), or a dash."""
    needed = team.get("needed") if isinstance(team, dict) else None
    if needed is None:
        return "–"
    d = -1 if polarity == "lower" else 1
    return f"{words.need_symbol(d, bool(team.get('needed_strict')))} {words.nl_number(Decimal(str(needed)))}"


def _dec(number) -> Decimal | None:
    """Return a STATUS number as a Decimal."""
    return None if number is None else Decimal(str(number))


@register.filter
def team_rule(status: dict) -> str:
    """Return the team rule of a STATUS in plain Dutch, with what "Referentie" means."""
    return words.team_rule_text(
        status.get("ambition_type"),
        -1 if status.get("polarity") == "lower" else 1,
        _dec(status.get("target")),
        _dec(status.get("baseline")),
        _dec(status.get("tolerance")),
        status.get("baseline_year"),
    )
