"""Reads for the board's "Wat is er veranderd" page (issue 15, item 3): flips and moved euros since a date.

The recompute service logs both (rapportage.services: VerdictChange, BudgetChange); this module
groups them by day and run and says what caused each run and who did it, when the run's reason
and the values' history tell.
"""

import re
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.formats import date_format

from agenda.models import Ambition, Applicability, BaselineRevision, College, Institution, ThemeShareRevision
from indicatoren.models import Measurement, Upload
from indicatoren.services import HISTORY_REASON_LENGTH
from maatregelen.models import Review
from rapportage.choices import Version
from rapportage.models import BudgetChange, ContributionChange, RecomputeRun, VerdictChange

# How a recompute's reason names what caused it (the writers: invoer/grid.py grid_save,
# invoer/uploads.py, invoer/api/views.py API_SOURCE, agenda/services.py, indicatoren/signoff.py).
_CAUSES = (
    ("upload", re.compile(r"^upload #(?P<pk>\d+) (?P<name>.*)$")),
    ("grid", re.compile(r"^invoer (?P<college>\S+) (?P<year>\d{4})$")),
    ("api", re.compile(r"^API$")),
    ("ambition", re.compile(r"^ambitie (?P<indicator>\S+) (?P<year>\d{4}) herijkt$")),
    ("share", re.compile(r"^budgetaandeel (?P<theme>\S+) vanaf (?P<year>\d{4}) herijkt$")),
    ("applicability", re.compile(r"^toepasbaarheid (?P<indicator>\S+) .* herijkt$")),
    ("baseline", re.compile(r"^nulmeting (?P<indicator>\S+) vanaf (?P<year>\d{4}) herijkt$")),
    ("admin", re.compile(r"^beheer: (?P<what>.*)$")),
)
# Causes whose measurement history names who wrote (the reason is the values' source).
_WRITER_CAUSES = {"grid", "api", "admin"}
# A herijking names its author on the revision it adds (agenda/services.py): cause kind -> rows of that kind.
_REVISIONS = {
    "ambition": lambda c: Ambition.objects.filter(indicator__code=c["indicator"], year=int(c["year"])),
    "share": lambda c: ThemeShareRevision.objects.filter(theme__code=c["theme"], from_year=int(c["year"])),
    "applicability": lambda c: Applicability.objects.filter(indicator__code=c["indicator"]),
    "baseline": lambda c: BaselineRevision.objects.filter(indicator__code=c["indicator"], from_year=int(c["year"])),
}
_REVISION_INSTITUTION = {"share": "theme__institution"}  # the others reach it through their indicator
CHANGES_DEFAULT_DAYS = 30
# The earliest start the page accepts: the agenda period is 2019-2022, and a year-1 date would overflow.
EARLIEST_SINCE = date(2000, 1, 1)


def changes_default_since(institution: Institution, today: date) -> tuple[date, str]:
    """Return the default start of "what changed": the last Q-gesprek held, else 30 days ago; and why.

    Any level counts (team, college, institution): the board asks what moved since the latest
    conversation about the agenda, wherever it was held.
    """
    held = (
        Review.objects.filter(institution=institution, held_on__isnull=False, held_on__lte=today)
        .select_related("college", "team")
        .order_by("-held_on", "-pk")
        .first()
    )
    if held is not None:
        return held.held_on, f"het laatste Q-gesprek ({held}, {date_format(held.held_on, 'j F Y')})"
    return today - timedelta(days=CHANGES_DEFAULT_DAYS), f"{CHANGES_DEFAULT_DAYS} dagen geleden"


def change_causes(reason: str) -> list[dict]:
    """Return the parts of a recompute's reason, each with its kind and the codes it names."""
    causes = []
    for part in (p.strip() for p in (reason or "").split(";")):
        if not part:
            continue
        for kind, pattern in _CAUSES:
            if match := pattern.match(part):
                causes.append({"kind": kind, "text": part, **match.groupdict()})
                break
        else:
            causes.append({"kind": "other", "text": part})
    return causes


def _change_writers(run: RecomputeRun, previous: RecomputeRun | None, causes: list[dict]) -> list:
    """Return who caused a run: the uploader, the users in the values' history, the herijking's author.

    A write asks for the run while its values' history rows are being written, so the rows that
    caused this run lie after the previous run started (earlier writes were its to recompute)
    and before this run started; their history's change reason is the reason's text (the channel:
    indicatoren.services writes it there, and Measurement.source names the figure's source).
    """
    users = {}
    for cause in causes:
        if (upload := cause.get("upload")) is not None and upload.uploaded_by is not None:
            users[upload.uploaded_by.pk] = upload.uploaded_by
    upper = run.started_at or run.requested_at
    lower = (
        previous.started_at if previous is not None and previous.started_at else run.requested_at - timedelta(hours=1)
    )
    for cause in causes:
        if cause["kind"] in _REVISIONS:
            where = {_REVISION_INSTITUTION.get(cause["kind"], "indicator__institution"): run.institution_id}
            rows = _REVISIONS[cause["kind"]](cause).filter(
                author__isnull=False, created_at__gte=lower, created_at__lte=upper, **where
            )
            for row in rows.select_related("author"):
                users.setdefault(row.author_id, row.author)
    sources = [c["text"][:HISTORY_REASON_LENGTH] for c in causes if c["kind"] in _WRITER_CAUSES]
    if sources:
        history = Measurement.history.model.objects.filter(
            history_change_reason__in=sources,
            history_user__isnull=False,
            history_date__gte=lower,
            history_date__lte=upper,
            # A source ("API", "invoer 5100 2022") is not unique across institutions: without this,
            # another institution's writer in the same minutes would be named here.
            indicator__institution_id=run.institution_id,
        )
        user_ids = set(history.order_by().values_list("history_user_id", flat=True).distinct()[:20])
        for user in get_user_model().objects.filter(pk__in=user_ids - set(users)).order_by("username"):
            users[user.pk] = user
    return list(users.values())


def _resolve_causes(institution: Institution, groups) -> None:
    """Give each group its causes, with the upload or college each names (for links), in two queries."""
    for group in groups:
        group["causes"] = change_causes(group["run"].reason) if group["run"] else []
    causes = [cause for group in groups for cause in group["causes"]]
    upload_ids = {int(c["pk"]) for c in causes if c["kind"] == "upload"}
    uploads = Upload.objects.filter(institution=institution, pk__in=upload_ids).select_related(
        "uploaded_by", "scope_college"
    )
    uploads = {upload.pk: upload for upload in uploads}
    colleges = {c["college"] for c in causes if c["kind"] == "grid"}
    colleges = {college.code: college for college in College.objects.filter(institution=institution, code__in=colleges)}
    for cause in causes:
        if cause["kind"] == "upload":
            cause["upload"] = uploads.get(int(cause["pk"]))
        elif cause["kind"] == "grid":
            cause["college_obj"] = colleges.get(cause["college"])


def changes_data(institution: Institution, since: date, college: College | None = None) -> dict:
    """Return the verdict flips and moved budget amounts since `since`, grouped by day and run, newest first.

    Only the current ambitions are compared (the recompute logs flips of Version.CURRENT); the
    herijking page sets the original ones beside them. With `college`, only that college's
    verdicts and teams; budget amounts are per theme for all colleges together, so none.
    """
    # A Q-gesprek dated in year 1 (a typing slip) would make the default start overflow when
    # converted to UTC (Europe/Amsterdam's offset then was +0:19:32): nothing predates 2000 anyway.
    start = timezone.make_aware(datetime.combine(max(since, EARLIEST_SINCE), time.min))
    flips = VerdictChange.objects.filter(institution=institution, version=Version.CURRENT, created_at__gte=start)
    teams = ContributionChange.objects.filter(institution=institution, created_at__gte=start)
    moved = BudgetChange.objects.filter(institution=institution, created_at__gte=start)
    if college is not None:
        flips, teams, moved = flips.filter(college=college), teams.filter(team__college=college), moved.none()
    flips = list(
        flips.select_related("indicator", "college", "run").order_by(
            "-created_at", "indicator__position", "year", "college__code"
        )
    )
    teams = list(
        teams.select_related("indicator", "team__college", "run").order_by(
            "-created_at", "indicator__position", "year", "team__code"
        )
    )
    moved = list(moved.select_related("theme", "run").order_by("-created_at", "year", "theme__position", "kind"))
    runs: dict = {}
    for part, rows in (("flips", flips), ("teams", teams), ("budget", moved)):
        for row in rows:
            # A run deleted since (SET_NULL) leaves its rows: they group by day, cause unknown.
            key = row.run_id or f"zonder-{timezone.localdate(row.created_at)}"
            group = runs.setdefault(key, {"run": row.run, "at": row.created_at, "flips": [], "teams": [], "budget": []})
            group["at"] = max(group["at"], row.created_at)
            group[part].append(row)
    _resolve_causes(institution, runs.values())
    days: dict = {}
    for group in sorted(runs.values(), key=lambda item: item["at"], reverse=True):
        run = group["run"]
        if run is not None:
            # The run before bounds the history that names this run's writers.
            previous = RecomputeRun.objects.filter(institution=institution, pk__lt=run.pk).order_by("-pk").first()
            group["writers"] = _change_writers(run, previous, group["causes"])
        else:
            group["writers"] = []
        days.setdefault(timezone.localdate(group["at"]), []).append(group)
    return {
        "days": [{"day": day, "runs": groups} for day, groups in days.items()],
        "flip_count": len(flips),
        "team_count": len(teams),
        "budget_count": len(moved),
    }
