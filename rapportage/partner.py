"""What partners read: the curated public account of an institution (issue 14, item 4, /verantwoording/).

Horizontal accountability (the manifesto puts regional partners first): per theme the promises
of the manifesto's model, the verdicts at institution level with their explanation, the
comparison series beside them, breakdown groups large enough to show, and the measures and
evidence the school marked public. Nothing here names a team or a college, and no team or
college value leaves it: the only college figure is the count "x van y colleges" the
institution's own explanation already gives. Breakdown groups whose n is unknown count as small
here (the dashboards show them; a partner reads only what is known to be large enough).
"""

import pandas as pd
from django.db.models import Prefetch

from agenda.choices import Level
from agenda.models import Indicator, Institution, Theme
from indicatoren.models import OWN_SERIES
from indicatoren.selectors import data_status
from kern.rules import small_group
from maatregelen.models import Evidence, Measure, PartnerAgreement, Promise
from rapportage import selectors
from rapportage.context import breakdown_frame, comparison_frame, series_label
from rapportage.engine.words import basis_word


def shown_to_partner(n: int | None) -> bool:
    """Return whether a breakdown group's value may be shown to a partner: n known and not small."""
    return n is not None and not small_group(n)


def _comparisons(indicator: Indicator, year: int) -> list[dict]:
    """Return the institution-level comparison series (landelijk, DUO, ...) of `indicator` in `year`."""
    frame = comparison_frame(indicator)
    rows = frame[(frame["level"] == Level.INSTITUTION) & (frame["year"] == year)] if len(frame) else frame
    return [{"label": series_label(r["series"]), "value": r["value"]} for r in rows.to_dict("records")]


def _breakdowns(indicator: Indicator, year: int) -> list[dict]:
    """Return the institution-level breakdown groups of `indicator` in `year` that a partner may see."""
    frame = breakdown_frame(indicator)
    if not len(frame):
        return []
    rows = frame[(frame["level"] == Level.INSTITUTION) & (frame["year"] == year)]
    shown = []
    for r in rows.to_dict("records"):
        n = None if pd.isna(r["n"]) else int(r["n"])
        if shown_to_partner(n):
            label = "Eigen" if r["series"] == OWN_SERIES else series_label(r["series"])
            shown.append(
                {"dimension": r["dimension"], "group": r["group"], "series": label, "value": r["value"], "n": n}
            )
    return shown


def _verdict(status: dict, indicator: Indicator | None, year: int) -> dict:
    """Return one stored institution-level verdict as the partner view shows it (no college entries)."""
    return {
        "indicator": status["indicator"],
        "name": status["name"],
        "attained": status["attained"],
        "basis": basis_word(status["basis"]),
        "status": status,  # read by the ambition_words filter: ambition fields only
        "institution_value": status.get("institution_value"),
        "baseline": status.get("baseline"),
        "baseline_year": status.get("baseline_year"),
        "institution_only": status.get("institution_only"),
        "colleges_met": status.get("colleges_met"),
        "colleges_total": status.get("colleges_total"),
        "explanation": status.get("explanation", ""),
        "comparisons": _comparisons(indicator, year) if indicator else [],
        "breakdowns": _breakdowns(indicator, year) if indicator else [],
    }


def public_account(institution: Institution, year: int) -> dict:
    """Return the curated public account of `institution` in `year`, per theme."""
    body = selectors.status_body(institution, year)
    indicators = {i.code: i for i in Indicator.objects.filter(institution=institution)}
    verdicts: dict[str, list[dict]] = {}
    for status in body["indicators"]:
        verdicts.setdefault(status["theme"], []).append(_verdict(status, indicators.get(status["indicator"]), year))
    promises = list(
        Promise.objects.filter(institution=institution).prefetch_related(
            Prefetch("partners", queryset=PartnerAgreement.objects.order_by("agreed_on", "partner"))
        )
    )
    measures = list(Measure.objects.filter(institution=institution, public=True).order_by("title", "pk"))
    evidence = list(
        Evidence.objects.filter(institution=institution, public=True)
        .select_related("indicator")
        .order_by("-year", "title", "pk")
    )
    themes = []
    for theme in Theme.objects.filter(institution=institution).order_by("position", "code"):
        entry = {
            "theme": theme,
            "verdicts": verdicts.get(theme.code, []),
            "promises": [p for p in promises if p.theme_id == theme.pk],
            "measures": [m for m in measures if m.theme_id == theme.pk],
            "evidence": [e for e in evidence if e.theme_id == theme.pk],
        }
        entry["has_public"] = bool(entry["promises"] or entry["measures"] or entry["evidence"])
        themes.append(entry)
    return {
        "themes": themes,
        "has_public": any(t["has_public"] for t in themes),
        "has_verdicts": bool(body["indicators"]),
        "data_status": data_status(institution, year),
        "stale": body.get("stale", False),
    }
