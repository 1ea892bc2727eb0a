"""The upload pipeline: parse, dry run (what would change, down to the verdicts), apply atomically.

One pipeline for every channel (web page, API, `import_benchmark`, the director's grid
upload), so validation and messages are identical everywhere (issue 4, contracts.md 2).
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agenda.models import College, Indicator, Institution, Team
from indicatoren.importers import STUDENTS_CODE, Catalogue, ParseResult, RowError, parse_benchmark
from indicatoren.models import Measurement, StudentCount, Upload, UploadStatus
from indicatoren.services import MeasurementRow, measurements_apply, student_counts_apply
from rapportage.models import IndicatorResult, Version

BASELINE_MARGIN_YEARS = 5  # accept history this many years before the earliest baseline year


class UploadRejected(Exception):
    """A file with errors: nothing was stored; `errors` says where and why."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} fouten")
        self.errors = errors


class UploadStale(Exception):
    """The stored values changed between preview and confirm: the preview no longer holds."""


def catalogue_for(institution: Institution, scope_college: College | None = None) -> Catalogue:
    """Return what the institution's agenda allows in a benchmark file."""
    indicators = list(Indicator.objects.filter(institution=institution))
    earliest = min([i.baseline_year for i in indicators] + [institution.period_start])
    return Catalogue(
        indicators={i.code: i.unit for i in indicators},
        indicator_levels={i.code: frozenset(i.levels) for i in indicators},
        colleges=frozenset(College.objects.filter(institution=institution).values_list("code", flat=True)),
        teams=dict(Team.objects.filter(institution=institution).values_list("code", "college__code")),
        years=range(earliest - BASELINE_MARGIN_YEARS, institution.period_end + 1),
        scope_college=scope_college.code if scope_college else None,
    )


def error_dict(error: RowError) -> dict:
    """Return an error in the API's shape (contracts.md section 4)."""
    body = {"row": error.row, "column": error.column, "value": error.value, "message": error.message}
    if error.sheet:
        body["sheet"] = error.sheet
    return body


@dataclass
class Change:
    """One value the file would set: where, old and new."""

    indicator: str
    year: int
    unit: str  # team or college code, or "instelling"
    old: Decimal | None
    new: Decimal
    old_n: int | None = None
    new_n: int | None = None

    @property
    def kind(self) -> str:
        return (
            "nieuw"
            if self.old is None
            else ("ongewijzigd" if self.old == self.new and self.old_n == self.new_n else "gewijzigd")
        )


@dataclass
class Plan:
    """A parsed, resolved file: the rows to store and how they compare with what is stored."""

    parsed: ParseResult
    rows: list[MeasurementRow]
    students: dict[tuple[College, int], int]
    changes: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return the number of new, changed and unchanged values."""
        result = {"nieuw": 0, "gewijzigd": 0, "ongewijzigd": 0}
        for change in self.changes:
            result[change.kind] += 1
        return result


def plan_upload(institution: Institution, data: bytes, filename: str, scope_college: College | None = None) -> Plan:
    """Parse and resolve a file against the agenda; raise UploadRejected with every error."""
    parsed = parse_benchmark(
        data, filename, catalogue_for(institution, scope_college), max_bytes=settings.UPLOAD_MAX_BYTES
    )
    if parsed.errors:
        raise UploadRejected(parsed.errors)
    if parsed.rows.empty:
        raise UploadRejected([RowError(None, None, None, "Het bestand bevat geen gegevens")])
    indicators = {i.code: i for i in Indicator.objects.filter(institution=institution)}
    colleges = {c.code: c for c in College.objects.filter(institution=institution)}
    teams = {t.code: t for t in Team.objects.filter(institution=institution).select_related("college")}
    rows, students = [], {}
    for r in parsed.rows.itertuples(index=False):
        college = colleges.get(r.college) if r.college else None
        team = teams.get(r.team) if r.team else None
        if r.indicator == STUDENTS_CODE:
            students[(college, int(r.year))] = int(r.value)
            continue
        rows.append(
            MeasurementRow(
                indicator=indicators[r.indicator],
                year=int(r.year),
                value=Decimal(r.value),
                college=team.college if team else college,
                team=team,
                n=None if r.n is None or r.n != r.n else int(r.n),
            )
        )
    plan = Plan(parsed=parsed, rows=rows, students=students)
    plan.changes = _compare(institution, rows, students)
    return plan


def _unit_label(row: MeasurementRow) -> str:
    """Return the code of a row's unit."""
    return row.team.code if row.team else (row.college.code if row.college else "instelling")


def _compare(institution: Institution, rows: list[MeasurementRow], students) -> list[Change]:
    """Return each row with the stored value it would replace."""
    stored = {
        (m.indicator_id, m.year, m.college_id, m.team_id): (m.value, m.n)
        for m in Measurement.objects.filter(
            indicator__institution=institution, year__in={r.year for r in rows} or {0}
        ).only("indicator_id", "year", "college_id", "team_id", "value", "n")
    }
    changes = []
    for row in rows:
        college_id = row.college.pk if row.college else None
        old, old_n = stored.get(
            (row.indicator.pk, row.year, college_id, row.team.pk if row.team else None), (None, None)
        )
        changes.append(Change(row.indicator.code, row.year, _unit_label(row), old, row.value, old_n, row.n))
    stored_students = {
        (s.college_id, s.year): s.count for s in StudentCount.objects.filter(college__institution=institution)
    }
    for (college, year), count in students.items():
        old = stored_students.get((college.pk, year))
        changes.append(Change(STUDENTS_CODE, year, college.code, None if old is None else Decimal(old), Decimal(count)))
    return changes


def _store_file(institution: Institution, data: bytes, checksum: str, filename: str) -> str:
    """Keep the original file outside the static and media URLs; return its path."""
    folder = Path(settings.MEDIA_ROOT) / institution.code / timezone.now().strftime("%Y")
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in Path(filename).name)[-120:]
    path = folder / f"{checksum[:16]}-{safe}"
    if not path.exists():
        path.write_bytes(data)
    return str(path)


def _record(institution, data, filename, plan: Plan, *, user, channel, status, scope_college) -> Upload:
    """Create the upload record with its counts, checksum and duplicate flag."""
    checksum = hashlib.sha256(data).hexdigest()
    counts = plan.counts()
    return Upload.objects.create(
        institution=institution,
        uploaded_by=user if user and user.is_authenticated else None,
        channel=channel,
        original_name=Path(filename).name[:255],
        stored_file=_store_file(institution, data, checksum, filename),
        size_bytes=len(data),
        checksum=checksum,
        file_format=plan.parsed.file_format,
        layout=plan.parsed.layout,
        status=status,
        duplicate_of=Upload.objects.filter(institution=institution, checksum=checksum, status=UploadStatus.ACCEPTED)
        .order_by("uploaded_at")
        .first(),
        rows_total=len(plan.changes),
        rows_new=counts["nieuw"],
        rows_changed=counts["gewijzigd"],
        rows_unchanged=counts["ongewijzigd"],
        scope_college=scope_college,
    )


@transaction.atomic
def benchmark_import(
    *, institution: Institution, data: bytes, filename: str, user=None, channel: str = "command", scope_college=None
) -> Upload:
    """Import a benchmark file at once (command, API): all or nothing, then recompute."""
    plan = plan_upload(institution, data, filename, scope_college)
    upload = _record(
        institution,
        data,
        filename,
        plan,
        user=user,
        channel=channel,
        status=UploadStatus.ACCEPTED,
        scope_college=scope_college,
    )
    return _apply(institution, plan, upload, user, scope_college)


def _apply(institution: Institution, plan: Plan, upload: Upload, user, scope_college) -> Upload:
    """Store the plan's values and student numbers, linked to the upload, and record the recompute."""
    source = f"upload #{upload.pk} {upload.original_name}"
    allowed = {scope_college.pk} if scope_college else None
    measurements_apply(
        institution=institution, rows=plan.rows, user=user, source=source, upload=upload, allowed_colleges=allowed
    )
    if plan.students:
        student_counts_apply(institution=institution, counts=plan.students, upload=upload)
    from rapportage.models import RecomputeRun, RunState

    upload.status = UploadStatus.ACCEPTED
    upload.applied_at = timezone.now()
    upload.recompute_run = RecomputeRun.objects.filter(institution=institution, state=RunState.PENDING).first()
    upload.save(update_fields=["status", "applied_at", "recompute_run"])
    return upload


@transaction.atomic
def upload_preview(
    *, institution: Institution, data: bytes, filename: str, user=None, channel="web", scope_college=None
) -> Upload:
    """Validate a file and keep it as a preview; nothing is stored in the figures yet."""
    plan = plan_upload(institution, data, filename, scope_college)
    return _record(
        institution,
        data,
        filename,
        plan,
        user=user,
        channel=channel,
        status=UploadStatus.PREVIEW,
        scope_college=scope_college,
    )


def upload_plan(upload: Upload) -> Plan:
    """Return the plan of a stored upload, re-read from its original file."""
    data = Path(upload.stored_file).read_bytes()
    return plan_upload(upload.institution, data, upload.original_name, upload.scope_college)


@transaction.atomic
def upload_confirm(*, upload: Upload, user=None) -> Upload:
    """Apply exactly what was previewed; refuse if the stored values changed in between."""
    upload = Upload.objects.select_for_update().get(pk=upload.pk)
    if upload.status != UploadStatus.PREVIEW:
        raise UploadStale(f"Deze upload is al {upload.get_status_display()}.")
    plan = upload_plan(upload)
    counts = plan.counts()
    if (counts["nieuw"], counts["gewijzigd"], counts["ongewijzigd"]) != (
        upload.rows_new,
        upload.rows_changed,
        upload.rows_unchanged,
    ):
        raise UploadStale("De opgeslagen waarden zijn sinds het voorbeeld gewijzigd; bekijk het voorbeeld opnieuw.")
    return _apply(upload.institution, plan, upload, user, upload.scope_college)


@transaction.atomic
def upload_cancel(*, upload: Upload) -> Upload:
    """Cancel a previewed upload; nothing was stored."""
    if upload.status == UploadStatus.PREVIEW:
        upload.status = UploadStatus.CANCELLED
        upload.save(update_fields=["status"])
    return upload


def verdict_effects(upload: Upload, plan: Plan | None = None) -> dict:
    """Return the verdicts and budget amounts the upload would change, computed without saving."""
    from rapportage.services import evaluate_institution

    plan = plan or upload_plan(upload)
    institution = upload.institution
    overrides = [
        {
            "indicator": r.indicator.pk,
            "year": r.year,
            "level": "team" if r.team else ("college" if r.college else "institution"),
            "college": r.college.pk if r.college else None,
            "team": r.team.pk if r.team else None,
            "value": r.value,
            "n": r.n,
        }
        for r in plan.rows
    ]
    student_overrides = {(college.code, year): count for (college, year), count in plan.students.items()}
    computed = evaluate_institution(institution, overrides, student_overrides)
    stored = {
        (r.indicator_id, r.year): r.payload
        for r in IndicatorResult.objects.filter(institution=institution, version=Version.CURRENT)
    }
    flips = []
    for key, new in computed["statuses"][Version.CURRENT].items():
        old = stored.get(key)
        if old is None:
            continue
        if old["attained"] != new["attained"]:
            flips.append(
                {
                    "indicator": new["indicator"],
                    "year": new["year"],
                    "college": None,
                    "old": old["attained"],
                    "new": new["attained"],
                    "explanation": new["explanation"],
                }
            )
        old_colleges = {c["college"]: c["met"] for c in old["colleges"]}
        for college in new["colleges"]:
            if college["college"] in old_colleges and old_colleges[college["college"]] != college["met"]:
                flips.append(
                    {
                        "indicator": new["indicator"],
                        "year": new["year"],
                        "college": college["college"],
                        "old": old_colleges[college["college"]],
                        "new": college["met"],
                        "explanation": college["explanation"],
                    }
                )
    from rapportage.models import BudgetResult

    budget_changes = []
    stored_budgets = {b.year: b.payload for b in BudgetResult.objects.filter(institution=institution)}
    for year, new in computed["budgets"].items():
        old = stored_budgets.get(year)
        if old is None:
            continue
        old_parts = {(t["theme"], c["college"]): c for t in old["themes"] for c in t["colleges"]}
        for theme in new["themes"]:
            for college in theme["colleges"]:
                before = old_parts.get((theme["theme"], college["college"]))
                if before and (before["released_cents"], before["amount_cents"]) != (
                    college["released_cents"],
                    college["amount_cents"],
                ):
                    budget_changes.append(
                        {
                            "year": year,
                            "theme": theme["theme"],
                            "college": college["college"],
                            "old_released_cents": before["released_cents"],
                            "new_released_cents": college["released_cents"],
                            "old_amount_cents": before["amount_cents"],
                            "new_amount_cents": college["amount_cents"],
                        }
                    )
    return {"flips": flips, "budget": budget_changes}
