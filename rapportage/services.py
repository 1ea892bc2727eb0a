"""Recomputation: request (coalesced, on commit), run (serialised per institution), store results.

Flow (style.md): selectors (rows -> frames) -> engine (pure) -> this service stores the
results atomically with their explanation and logs verdict flips -> pages only display.
"""

import functools
import hashlib
import logging
import time
from collections.abc import Iterable

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from agenda.models import Institution, Team, Theme
from agenda.selectors import theme_shares_by_year
from kern.collector import collector_paused
from kern.fields import StoredJSONField
from kern.pg_copy import copy_cell, copy_in, copy_json
from rapportage import page_cache, selectors
from rapportage.choices import RunState, Version
from rapportage.engine import exact_json
from rapportage.engine.attainment import Attainment, judge_setup, judge_with, split_attainment
from rapportage.engine.budget import ThemeShare, budget_verdicts, budget_warnings, reserve_ledger, split_budget
from rapportage.engine.changes import budget_changes, team_flips, verdict_signature
from rapportage.engine.composite import composite_aggregate
from rapportage.engine.payload import (
    budget_payload,
    status_input_digests,
    status_payloads,
    status_payloads_by_version,
    status_row_digests,
    verdict_flips,
    verdict_views,
)
from rapportage.engine.words import COLLEGE_WORDS, INDICATOR_WORDS, TEAM_WORDS
from rapportage.models import (
    BudgetChange,
    BudgetResult,
    ContributionChange,
    IndicatorResult,
    RecomputeRun,
    VerdictChange,
)

logger = logging.getLogger(__name__)


def recompute_request(*, institution: Institution, reason: str) -> RecomputeRun:
    """Ask for a recompute after the current transaction commits; join a waiting run if any."""
    run, created = _run_request(institution, reason)
    run_id = run.pk
    if created:
        _on_commit_of([run_id], lambda: recompute_enqueue(run_id))
    elif _runs_in_process() and not _waits_for_commit(run_id):
        _on_commit_of([run_id], lambda: _rerun_if_waiting([run_id]))
    return run


def recompute_request_many(*, institutions: list[Institution], reason: str) -> list[RecomputeRun]:
    """Ask for the recompute of many institutions (a sector-wide import): one batch per worker process on commit.

    Each institution still gets its own run, lock and transaction (recompute_run); only the
    messages are batched, interleaved so that both batches carry about the same work.
    """
    runs, created, joined = [], [], []
    with transaction.atomic():
        for institution in institutions:
            run, new = _run_request(institution, reason)
            runs.append(run)
            if new:
                created.append(run.pk)
            elif _runs_in_process() and not _waits_for_commit(run.pk):
                joined.append(run.pk)
    if created:
        _on_commit_of(created, lambda: recompute_enqueue_many(created))
    if joined:
        _on_commit_of(joined, lambda: _rerun_if_waiting(joined))
    return runs


def _run_request(institution: Institution, reason: str) -> tuple[RecomputeRun, bool]:
    """Return the institution's waiting run, created or joined, and whether it was created."""
    with transaction.atomic():
        run = RecomputeRun.objects.select_for_update().filter(institution=institution, state=RunState.PENDING).first()
        if run is None:
            try:
                with transaction.atomic():
                    return RecomputeRun.objects.create(institution=institution, reason=reason[:500]), True
            except IntegrityError:
                # Another request created the waiting run a moment ago: join it.
                run = RecomputeRun.objects.select_for_update().get(institution=institution, state=RunState.PENDING)
        RecomputeRun.objects.filter(pk=run.pk).update(requests=F("requests") + 1)
        if reason not in run.reason and len(run.reason) < 2000:
            RecomputeRun.objects.filter(pk=run.pk).update(reason=f"{run.reason}; {reason}"[:2000])
        return run, False


def _runs_in_process() -> bool:
    """Return whether recompute tasks run eagerly, in the asking process (no broker: the demo)."""
    from rapportage.tasks import recompute_task

    return bool(recompute_task.app.conf.task_always_eager)


def _on_commit_of(run_ids: list[int], send) -> None:
    """Call `send` after the commit; until it has run it is marked with the runs it sends (_waits_for_commit)."""

    @functools.wraps(send)  # named as `send` in logs and by the tests that count a request's callbacks
    def callback():
        callback.run_ids = frozenset()  # sent, or being sent: a cut-off send leaves its run waiting again
        send()

    callback.run_ids = frozenset(run_ids)
    transaction.on_commit(callback)


def _waits_for_commit(run_id: int) -> bool:
    """Return whether this transaction already has a callback that will send run `run_id` after its commit."""
    # Django keeps (savepoint ids, callback, robust) until the commit and drops a rolled-back savepoint's.
    pending = transaction.get_connection().run_on_commit
    return any(run_id in getattr(entry[1], "run_ids", ()) for entry in pending)


def _rerun_if_waiting(run_ids: list[int]) -> None:
    """Run joined runs again, in this process, if they still wait after the commit (tasks run eagerly only).

    Without a broker there is no worker and no sweep: an in-process recompute cut off by a
    BaseException (gunicorn's time-out raises SystemExit) rolls its claim back and leaves its run
    PENDING, and every later write joined that run and sent nothing, so the results never followed
    the data again and nothing said *verouderd* (review: eager-mode crash). Only a run this
    transaction does not send already gets here (recompute_request). The cut-off attempt rolled
    its count back with its claim: it is counted now, so a run that kills the process every time
    is given up after RECOMPUTE_MAX_ATTEMPTS (_claim) and its results say *verouderd*.
    """
    for run_id in run_ids:
        if RecomputeRun.objects.filter(pk=run_id, state=RunState.PENDING).update(attempts=F("attempts") + 1):
            logger.warning("recompute run %s was left waiting by a cut-off in-process run; run again", run_id)
            recompute_enqueue(run_id)


def recompute_on_change(sender, *, institution: Institution, reason: str, **kwargs) -> RecomputeRun:
    """Answer kern.signals.data_changed: a write below asked for its verdicts to be recomputed."""
    return recompute_request(institution=institution, reason=reason)


def recompute_enqueue(run_id: int) -> bool:
    """Send the run to the worker; if the broker is down the run stays pending for the sweep."""
    from rapportage.tasks import recompute_task

    try:
        recompute_task.delay(run_id)
    except Exception as exc:  # broker unreachable: kombu raises OperationalError and friends
        logger.warning("recompute run %s not enqueued (%s); the sweep will retry", run_id, exc)
        return False
    if not recompute_task.app.conf.task_always_eager:
        # In-process (eager), the run has already stamped enqueued_at in its own transaction
        # (recompute_run(in_process=True)): a commit of its own here was one fsync more per grid save.
        RecomputeRun.objects.filter(pk=run_id, enqueued_at__isnull=True).update(enqueued_at=timezone.now())
    return True


# One batch per worker process (docker-compose: --concurrency 2): a sector recompute uses both cores.
RECOMPUTE_BATCHES = 2


def recompute_enqueue_many(run_ids: list[int]) -> bool:
    """Send many runs to the worker in RECOMPUTE_BATCHES batches; on a broker failure they wait for the sweep."""
    from rapportage.tasks import recompute_batch_task

    sent = []
    for batch in (run_ids[i::RECOMPUTE_BATCHES] for i in range(RECOMPUTE_BATCHES)):
        if not batch:
            continue
        try:
            recompute_batch_task.delay(batch)
        except Exception as exc:  # as recompute_enqueue
            logger.warning("recompute runs %s not enqueued (%s); the sweep will retry", batch, exc)
            continue
        sent += batch
    RecomputeRun.objects.filter(pk__in=sent, enqueued_at__isnull=True).update(enqueued_at=timezone.now())
    return len(sent) == len(run_ids)


def recompute_many(*, institutions: list[Institution], reason: str) -> list[RecomputeRun]:
    """Recompute many institutions synchronously, in this process, one run each (commands and tests)."""
    runs = [RecomputeRun.objects.create(institution=i, reason=reason, state=RunState.RUNNING) for i in institutions]
    recompute_batch(run_ids=[run.pk for run in runs])
    return list(RecomputeRun.objects.filter(pk__in=[run.pk for run in runs]).select_related("institution"))


def recompute_batch(*, run_ids: list[int]) -> int:
    """Execute many runs with one engine pass; each keeps its own lock, transaction and writes. Return how many ran.

    The engine judges many institutions at once as fast as one (its fixed per-call costs were a
    quarter of each of the sector's 65 recomputes: benchmarks.md 10.A), so the batch claims its
    runs, reads every institution's inputs and judges them together, and then stores each
    institution under its own lock as recompute_run does. The inputs are read before the locks,
    so under each lock the institution's finished runs are compared with those seen at the read:
    when another run finished meanwhile, its results may come from data newer than the batch's
    read, and this institution is judged again from a fresh read under its lock (never results
    older than the stored ones). A write that lands after the read is not lost either way: it
    asked for a run of its own, which waits for this one's lock and reads after it.
    """
    # The cyclic collector kept walking the 1.9 million dicts of a batch where every value moved.
    with collector_paused():
        return _recompute_batch(run_ids)


def _recompute_batch(run_ids: list[int]) -> int:
    """Execute recompute_batch's runs (with the collector paused)."""
    claim = {"state": RunState.RUNNING, "started_at": timezone.now(), "attempts": F("attempts") + 1}
    # One row at a time, as recompute_run claims: a claim of many rows in one statement deadlocked
    # with recompute_enqueue_many's UPDATE of the same rows in another order (PostgreSQL, worker bench).
    # A run already done or failed (redelivery) is left out.
    institution_ids = dict(RecomputeRun.objects.filter(pk__in=run_ids).values_list("pk", "institution_id"))
    claimed = {
        run_id: institution_ids[run_id] for run_id in run_ids if run_id in institution_ids and _claim(run_id, claim)
    }
    if not claimed:
        return 0
    try:
        seen = selectors.finished_runs(list(claimed.values()))
        # In the order the runs are stored below: _prepare_many builds bodies a few institutions at a time.
        order = {institution_id: position for position, institution_id in enumerate(claimed.values())}
        members = Institution.objects.filter(pk__in=list(claimed.values()))
        prepared = _prepare_many(sorted(members, key=lambda institution: order[institution.pk]))
    except Exception:
        # The joint read or engine pass failed: each run then reads and judges alone (and fails alone).
        logger.exception("recompute batch %s: joint pass failed, each run recomputes alone", list(claimed))
        seen, prepared = {}, {}
    for run_id in run_ids:
        if run_id in claimed:
            institution_id = claimed[run_id]
            ready = prepared.pop(institution_id, None)  # let go of its frames and bodies once stored
            recompute_run(
                run_id=run_id, claimed=True, prepared=None if ready is None else (ready, seen.get(institution_id))
            )
    return len(claimed)


# Bodies built together at most: a batch where every value moved builds ~7,400 bodies, which held at
# once took the worker past 500 MB (benchmarks.md 12); a JOB/DUO drop builds about 130.
BODIES_PER_BUILD = 1000


def _prepare_many(institutions) -> dict[int, tuple]:
    """Return {institution id: (engine inputs, attainments per version, bodies to build)}, one engine pass per period.

    The bodies are built jointly too (status_payloads' fixed cost per call was a tenth of each
    institution's share of a sector batch: benchmarks.md 12): each institution's input digests
    are compared with its stored ones read now, before its lock, and the bodies whose digests
    moved are built for a few institutions at a time (_Bodies) when the first of them is stored.
    attainment_recompute uses them only if the stored digests under the lock are still those.
    """
    by_period: dict[tuple, list] = {}
    for institution in institutions:
        by_period.setdefault(tuple(institution.years), []).append(institution)
    prepared = {}
    for years, members in by_period.items():
        # One query per table for the whole group (the per-institution reads were the batch's largest cost).
        read = selectors.engine_inputs_many(members)
        group = [(institution, read[institution.pk]) for institution in members]
        joint = selectors.joint_inputs([inputs for _, inputs in group])
        institution_of = dict(zip(joint.indicators["indicator"], joint.indicators["institution"], strict=True))
        attainments = _judge(joint, years)
        parts = {version: split_attainment(att, institution_of) for version, att in attainments.items()}
        stored = selectors.stored_input_digests_many([institution.pk for institution in members])
        built = {
            institution.pk: {"stored_inputs": stored[institution.pk], "input_digests": {}} for institution in members
        }
        only: dict[int, dict[str, set]] = {institution.pk: {} for institution in members}
        for version, att in attainments.items():
            rows = status_row_digests(att)
            for institution, inputs in group:
                mine = built[institution.pk]
                digests = status_input_digests(
                    parts[version][institution.pk], **_meta(inputs), teams=inputs.team_codes, rows=rows
                )
                mine["input_digests"][version] = digests
                only[institution.pk][version] = {
                    key for key, digest in digests.items() if mine["stored_inputs"].get((*key, version)) != digest
                }
        chunk, size = [], 0
        for institution, _ in [*group, (None, None)]:
            count = 0 if institution is None else sum(len(keys) for keys in only[institution.pk].values())
            if chunk and (institution is None or size + count > BODIES_PER_BUILD):
                digests = {
                    version: {key: d for pk in chunk for key, d in built[pk]["input_digests"][version].items()}
                    for version in attainments
                }
                bodies = _Bodies(attainments, joint, institution_of, {pk: only[pk] for pk in chunk}, digests)
                for pk in chunk:
                    built[pk]["bodies"] = bodies
                chunk, size = [], 0
            if institution is not None:
                chunk.append(institution.pk)
                size += count
        for institution, inputs in group:
            attained = {version: part[institution.pk] for version, part in parts.items()}
            prepared[institution.pk] = (inputs, attained, built[institution.pk])
    return prepared


class _Bodies:
    """The STATUS bodies of a few institutions of a batch, built in one call per version when first asked for."""

    def __init__(self, attainments, joint, institution_of: dict[int, int], only: dict[int, dict[str, set]], digests):
        self.attainments, self.joint, self.institution_of, self.only = attainments, joint, institution_of, only
        self.digests = digests  # {version: {(indicator id, year): input digest}} of the chunk's institutions
        self.built: dict[int, dict[str, dict]] | None = None

    def of(self, institution_id: int) -> dict[str, dict] | None:
        """Return {version: {(indicator id, year): body}} of the institution and forget them here; None if not built.

        A failed joint build is logged and gives None to every institution of the chunk, which then
        builds its own (evaluate_institution): never a partial set, which would keep moved bodies.
        """
        if self.built is None:
            built: dict[int, dict[str, dict]] = {pk: {version: {} for version in self.attainments} for pk in self.only}
            try:
                keys = {
                    version: set().union(*(only[version] for only in self.only.values()))
                    for version in self.attainments
                }
                by_version = status_payloads_by_version(
                    self.attainments,
                    **_meta(self.joint),
                    teams=self.joint.team_codes,
                    digests=self.digests,
                    only=keys,
                )
                for version, bodies in by_version.items():
                    for key, body in bodies.items():  # in the joint order: each institution's own order
                        built[self.institution_of[key[0]]][version][key] = body
            except Exception:
                logger.exception(
                    "recompute batch: joint build of %d institutions failed, each builds its own", len(built)
                )
                built = {}
            self.built = built
            self.attainments = self.joint = self.digests = None  # the batch's; this chunk needs them no more
        return self.built.pop(institution_id, None)


def _meta(inputs) -> dict:
    """Return the names and codes a STATUS body shows: status_payloads' indicators and colleges."""
    return {"indicators": inputs.indicator_meta, "colleges": inputs.college_meta}


def recompute_run(
    *, run_id: int, in_process: bool = False, claimed: bool = False, prepared: tuple | None = None
) -> RecomputeRun | None:
    """Execute one recompute run: claim it, recompute under the institution's lock, record the state.

    `in_process`: the run was delivered eagerly, in the process that asked for it (the demo, a grid
    save without a broker). The claim and `enqueued_at` are then written in the recompute's own
    transaction instead of two commits of their own: with SQLite's synchronous=FULL each commit is
    an fsync (8-31 ms of a grid save, benchmarks.md 10.D/10.E). Why this is safe:
    - a crash (or a failed recompute) rolls the claim back with the results: the run is PENDING
      again, with its requested_at, so recompute_sweep finds it as a run that never reached a
      worker (with a broker), and without one the next request that joins it runs it again
      (_rerun_if_waiting); nothing is half-done, and a failure is still recorded as FAILED below;
    - a duplicate delivery claims with the same conditional UPDATE: on PostgreSQL the first claim's
      row lock is held until its commit, so the second UPDATE waits and then re-reads the row,
      finds DONE and claims nothing; SQLite has one writer at a time, so it sees DONE too;
    - what others see: RUNNING is only visible between the claim and the commit, and every reader
      (the run line of the pages, invoer's flip message) treats PENDING and RUNNING alike ("bezig").
    The worker keeps the claim as a commit of its own: there RUNNING + started_at tell the sweep a
    run whose worker died (started_at older than the cut-off), and the operator that it is busy.
    """
    now = timezone.now()
    started = time.perf_counter()
    claim = {"state": RunState.RUNNING, "started_at": now, "attempts": F("attempts") + 1}
    if not in_process and not claimed:
        if not _claim(run_id, claim):
            return None  # already done or failed: a duplicate delivery
    try:
        with transaction.atomic():
            if in_process:
                if not _claim(run_id, {**claim, "enqueued_at": Coalesce("enqueued_at", Value(now))}):
                    return None
            run = RecomputeRun.objects.select_related("institution").get(pk=run_id)
            # Two recomputes of one institution never interleave: the second waits for this lock.
            # NO KEY: rows that merely reference the institution (a new run, an upload) can still
            # be inserted meanwhile; plain FOR UPDATE would block their foreign-key checks.
            institution = Institution.objects.select_for_update(no_key=True).get(pk=run.institution_id)
            # Written with the result: inside this transaction nobody else could see it earlier.
            locked_at = timezone.now()
            evaluated = None
            if prepared is not None:
                # Judged by a batch before this lock (recompute_batch): used only if no run finished meanwhile.
                evaluated, seen = prepared
                if selectors.finished_runs([institution.pk]).get(institution.pk) != seen:
                    logger.info("recompute run %s: a run finished after the batch's read; judged again", run_id)
                    evaluated = None
            changes = attainment_recompute(institution=institution, run=run, prepared=evaluated)
            RecomputeRun.objects.filter(pk=run_id).update(
                state=RunState.DONE,
                locked_at=locked_at,
                finished_at=timezone.now(),
                changes=changes,
                duration_ms=int((time.perf_counter() - started) * 1000),
                error="",
            )
            # Flip alerts and after-upload packs (issue 14, item 5) go when the results are committed,
            # through their own task: mail never holds the institution's lock or fails a recompute.
            transaction.on_commit(lambda: _notify(run_id))
    except Exception as exc:
        logger.exception("recompute run %s failed", run_id)
        failed = {
            "state": RunState.FAILED,
            "finished_at": timezone.now(),
            "error": f"{type(exc).__name__}: {exc}"[:4000],
        }
        if in_process:
            # The claim was rolled back with the rest: the failure records the attempt itself.
            failed.update(started_at=now, attempts=F("attempts") + 1, enqueued_at=Coalesce("enqueued_at", Value(now)))
        RecomputeRun.objects.filter(pk=run_id).update(**failed)
    run = RecomputeRun.objects.select_related("institution").get(pk=run_id)
    return run


def _claim(run_id: int, fields: dict) -> bool:
    """Mark a waiting (or cut-off running) run as running; return False when it is done, failed or given up now.

    Every claim counts an attempt. A run that has used RECOMPUTE_MAX_ATTEMPTS is not claimed
    again but marked failed (_give_up): a run that kills its worker every time (out of memory)
    was redelivered by the broker (acks_late, reject_on_worker_lost) and re-sent by the sweep for
    ever, RUNNING, and its stale results were never called *verouderd* (review: stuck runs).
    """
    open_run = RecomputeRun.objects.filter(pk=run_id, state__in=[RunState.PENDING, RunState.RUNNING])
    if open_run.filter(attempts__lt=settings.RECOMPUTE_MAX_ATTEMPTS).update(**fields):
        return True
    _give_up(open_run)
    return False


def _give_up(runs) -> int:
    """Mark the waiting or running runs among `runs` that used every attempt as failed; return how many.

    FAILED with finished_at makes the stored results *verouderd* on every page, in the API and in
    the commands' exit status (selectors.stale_run; domain.md, decided points); a later write
    asks for a fresh run as usual (only a PENDING run is joined).
    """
    limit = settings.RECOMPUTE_MAX_ATTEMPTS
    given_up = 0
    for run_id, attempts in runs.filter(
        state__in=[RunState.PENDING, RunState.RUNNING], attempts__gte=limit
    ).values_list("pk", "attempts"):
        logger.error("recompute run %s given up after %d attempts", run_id, attempts)
        given_up += RecomputeRun.objects.filter(pk=run_id, state__in=[RunState.PENDING, RunState.RUNNING]).update(
            state=RunState.FAILED,
            finished_at=timezone.now(),
            error=(
                f"Herberekening afgebroken na {attempts} pogingen: het proces stopte telkens voordat die klaar was"
                " (bijvoorbeeld geheugengebrek of een time-out)."
            ),
        )
    return given_up


def _notify(run_id: int) -> None:
    """Hand a finished run to rapportage.notifications (imported late: it reads this module's results)."""
    from rapportage.notifications import recompute_notify_enqueue

    recompute_notify_enqueue(run_id)


def recompute_now(*, institution: Institution, reason: str) -> RecomputeRun:
    """Recompute synchronously, in this process (commands and tests)."""
    run = RecomputeRun.objects.create(institution=institution, reason=reason, state=RunState.RUNNING)
    return recompute_run(run_id=run.pk)


def evaluate_institution(
    institution: Institution,
    overrides: list[dict] | None = None,
    student_overrides: dict | None = None,
    *,
    stored_inputs: dict[tuple, str] | None = None,
    prepared: tuple | None = None,
) -> dict:
    """Return the status payloads per version and the budget payloads, computed, not stored.

    `overrides` (measurement rows) and `student_overrides` ({(college code, year): count})
    let an upload's dry run judge the would-be data without saving it. `stored_inputs`
    ({(indicator id, year, version): input digest} of the stored bodies, the recompute's):
    a body whose inputs have that digest is not built and left out of "statuses";
    "input_digests" gives every body's digest per version. `prepared`: (inputs, attainments per
    version[, bodies built]) judged already (recompute_batch's joint pass, _prepare_many).
    """
    built = None
    if prepared is not None:
        inputs, attainments, *rest = prepared
        # Bodies built by the batch (_prepare_many) against the stored digests it read before the
        # lock: used only if those are still the stored ones, else built here as for one institution.
        if rest and rest[0] is not None and rest[0]["stored_inputs"] == stored_inputs:
            built = rest[0]
    else:
        inputs = selectors.engine_inputs(institution, overrides)
        attainments = _judge(inputs, list(institution.years))
    meta = _meta(inputs)
    statuses = None if built is None else built["bodies"].of(institution.pk)
    if statuses is not None:
        input_digests = built["input_digests"]
    else:
        statuses, input_digests, only = {}, {}, {}
        for version, att in attainments.items():
            if stored_inputs is None:
                statuses[version] = status_payloads(att, **meta, teams=inputs.team_codes)
                continue
            # A body whose inputs are those it was built from is the stored one: not built again (issue 16).
            input_digests[version] = digests = status_input_digests(att, **meta, teams=inputs.team_codes)
            only[version] = {key for key, digest in digests.items() if stored_inputs.get((*key, version)) != digest}
        if stored_inputs is not None:
            statuses = status_payloads_by_version(
                attainments, **meta, teams=inputs.team_codes, digests=input_digests, only=only
            )
    # The budget reads only the verdicts (budget.budget_verdicts): from every body, built or not.
    verdicts = (
        statuses[Version.CURRENT].values()
        if stored_inputs is None
        else verdict_views(attainments[Version.CURRENT], **meta)
    )
    budgets = _budgets(institution, inputs, verdicts, student_overrides or {})
    return {"statuses": statuses, "budgets": budgets, "inputs": inputs, "input_digests": input_digests}


def _judge(inputs, years) -> dict[str, Attainment]:
    """Return the engine's verdicts per ambition version (of one institution, or of many joined)."""
    # Composites (issue 18) get their values from their components where none is given; without
    # composites this is exactly counted_rows + aggregate.
    agg = composite_aggregate(
        inputs.measurements, inputs.composites, inputs.colleges, inputs.teams, inputs.not_applicable
    ).aggregates
    # Values, references and units do not depend on the ambitions: set them up once for both versions.
    setup = judge_setup(agg, inputs.indicators, inputs.colleges, years, inputs.not_applicable, inputs.baselines)
    return {version: judge_with(setup, inputs.ambitions[version]) for version in (Version.CURRENT, Version.ORIGINAL)}


def _budgets(institution: Institution, inputs, statuses: Iterable[dict], student_overrides: dict) -> dict[int, dict]:
    """Return the budget payload per budget year, judged on that year's verdicts, with the reserve ledger.

    `statuses`: the current STATUS bodies, or their verdict views (engine.payload.verdict_views).
    """
    statuses = list(statuses)
    budget_years, students = selectors.budget_inputs(institution)
    shares_in_force = theme_shares_by_year(institution, [by.year for by in budget_years])
    for (college, year), count in student_overrides.items():
        students.setdefault(college, {})[year] = count
    active = [meta["code"] for meta in inputs.college_meta.values() if meta["active"]]
    verdicts, splits, warnings = {}, [], {}
    for by in sorted(budget_years, key=lambda row: row.year):
        # The herijking may change a theme's share from a year on; earlier years keep theirs (domain.md).
        shares = [ThemeShare(code, pct, national) for code, pct, national in shares_in_force[by.year]]
        verdicts[by.year] = budget_verdicts(statuses, by.year)
        splits.append(
            split_budget(
                year=by.year,
                total_cents=by.total_cents,
                result_dependent_pct=by.result_dependent_pct,
                central_pct=by.central_pct,
                themes=shares,
                colleges=active,
                students=students,
                verdicts=verdicts[by.year],
            )
        )
        warnings[by.year] = budget_warnings(shares, by.result_dependent_pct, by.central_pct)
    # Manifesto principle 8: a year's reserve is released by later years, so the ledger spans them all.
    ledger = reserve_ledger(splits, verdicts, institution.period_end)
    return {split.year: budget_payload(institution.code, split, warnings[split.year]) for split in ledger}


def result_digest(text: str, *columns) -> str:
    """Return the digest of a stored result: its payload's JSON text and the row's other columns."""
    digest = hashlib.blake2b(text.encode(), digest_size=16)
    digest.update(repr(columns).encode())
    return digest.hexdigest()


def _encoded(text: str) -> Cast:
    """Return a payload already written by exact_json as the JSON column's value (not encoded a second time)."""
    return Cast(Value(text, output_field=TextField()), output_field=StoredJSONField())


def attainment_recompute(*, institution: Institution, run: RecomputeRun | None = None, prepared=None) -> int:
    """Recompute and store every verdict and budget of the institution; return the number of flips.

    Only results that differ from the stored ones are written (and compared for flips): a result
    is stored with the digest of its text (result_digest), and one that comes out the same keeps
    its row and its time; its run becomes this run. A sector-wide data drop moves a few indicators of one year; it
    wrote 1.7 MB of JSON per institution (issue 16 profile), most of it unchanged. A body is
    built at all only when the digest of what it is made from (engine.payload.status_input_digests)
    differs from the one stored with it: building bodies was the largest share of the recompute.
    """
    stored_statuses, stored_budgets = selectors.stored_result_digests(institution)
    # A row without its digest (stored before it, or edited by hand) is built again whatever its inputs.
    computed = evaluate_institution(
        institution,
        stored_inputs={key: stored[2] for key, stored in stored_statuses.items() if stored[1]},
        prepared=prepared,
    )
    inputs = computed["inputs"]
    now = timezone.now()
    ambition_ids = {
        version: dict(zip(zip(frame["indicator"], frame["year"], strict=True), frame["ambition_id"], strict=True))
        for version, frame in inputs.ambitions.items()
    }
    # `compared`: the replaced current rows whose verdicts may have flipped (their signatures differ).
    results, replaced, compared, flipping, confirmed = [], [], [], [], []
    # A body shared by both versions (status_payloads_by_version) is written as text, and digested
    # per ambition, once.
    texts: dict[int, tuple[str, dict]] = {}
    for version, payloads in computed["statuses"].items():
        digests = computed["input_digests"][version]
        for key in digests.keys() - payloads.keys():
            del stored_statuses[(*key, version)]  # kept as it is: its inputs did not change
        for (indicator_id, year), payload in payloads.items():
            ambition_id = ambition_ids[version].get((indicator_id, payload["ambition_year"]))
            ambition_id = None if ambition_id is None or pd.isna(ambition_id) else int(ambition_id)
            shared = texts.get(id(payload))
            if shared is None:
                shared = texts[id(payload)] = (exact_json.store_text(payload), {})
            text, digest_of = shared
            digest = digest_of.get(ambition_id)
            if digest is None:
                digest = digest_of[ambition_id] = result_digest(text, ambition_id)
            input_digest = digests[(indicator_id, year)]
            old = stored_statuses.pop((indicator_id, year, version), None)
            if old is not None and old[1] == digest:
                # Same body from other inputs (a value moved within a verdict's rounding): the row
                # stays, and remembers the inputs so the next run does not build it again.
                confirmed.append((old[0], input_digest))
                continue
            signature = ""
            if version == Version.CURRENT:
                signature = verdict_signature(payload)
                if old is not None and old[3] != signature:
                    compared.append(old[0])
                    flipping.append(payload)
            if old is not None:
                replaced.append(old[0])
            results.append(
                (
                    institution.pk,
                    indicator_id,
                    year,
                    version,
                    ambition_id,
                    payload["attained"],
                    payload["basis"],
                    text,
                    digest,
                    input_digest,
                    signature,
                    None if run is None else run.pk,
                    now,
                )
            )
    # Flips only among the results whose verdicts may have changed: an unchanged STATUS body, or
    # one with the same verdict signature, flips nothing; a new one (no stored row) is no flip.
    before = selectors.stored_verdicts(institution, compared) if compared else []
    changes = _changes(institution, run, verdict_flips(before, flipping), inputs)
    contributions = _team_changes(institution, run, team_flips(before, flipping), inputs)

    budgets, replaced_budgets = [], []
    for year, payload in computed["budgets"].items():
        text = exact_json.store_text(payload)
        digest = result_digest(text)
        old = stored_budgets.pop(year, None)
        if old is not None and old[1] == digest:
            continue
        if old is not None:
            replaced_budgets.append(old[0])
        budgets.append(
            BudgetResult(
                institution=institution, year=year, payload=_encoded(text), digest=digest, run=run, computed_at=now
            )
        )
    # The board's "Wat is er veranderd" lists moved euros beside flipped verdicts (issue 15, item 3).
    new_budgets = {result.year: computed["budgets"][result.year] for result in budgets}
    moved = _budget_changes(
        institution,
        run,
        budget_changes(selectors.stored_budgets(institution, replaced_budgets), new_budgets),
    )

    # What is left of the stored rows no longer has a result (a year or indicator gone): removed.
    IndicatorResult.objects.filter(pk__in=replaced + [stored[0] for stored in stored_statuses.values()]).delete()
    _insert_results(results)
    IndicatorResult.objects.bulk_update(
        [IndicatorResult(pk=pk, input_digest=input_digest) for pk, input_digest in confirmed],
        ["input_digest"],
        batch_size=500,
    )
    BudgetResult.objects.filter(pk__in=replaced_budgets + [pk for pk, _ in stored_budgets.values()]).delete()
    BudgetResult.objects.bulk_create(budgets)
    if run is not None:
        # A kept row keeps its id and time (the API's validators) but names the run that last
        # confirmed it: every stored result carries the latest run, never a mix of two runs.
        IndicatorResult.objects.filter(institution=institution).exclude(run=run).update(run=run)
        BudgetResult.objects.filter(institution=institution).exclude(run=run).update(run=run)
    VerdictChange.objects.bulk_create(changes)
    ContributionChange.objects.bulk_create(contributions)
    BudgetChange.objects.bulk_create(moved)
    return len(changes)


# The columns of a new STATUS row as attainment_recompute collects them; `payload` is its JSON text.
RESULT_COLUMNS = (
    "institution_id",
    "indicator_id",
    "year",
    "version",
    "ambition_id",
    "attained",
    "basis",
    "payload",
    "digest",
    "input_digest",
    "verdict_digest",
    "run_id",
    "computed_at",
)


def _insert_results(rows: list[tuple]) -> None:
    """Insert new STATUS rows (RESULT_COLUMNS): with COPY on PostgreSQL, else as bulk_create.

    When every value moved, a sector's recompute writes 7,400 bodies (167 MB of JSON): as INSERTs
    of 500 rows, PostgreSQL parsed statements of 11 MB each and Django prepared 12 values per
    row, twice the time COPY takes for the same rows (benchmarks.md 14). The texts are
    exact_json's, so the column gets exactly the bytes the digest was taken of.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        IndicatorResult.objects.bulk_create(
            [
                IndicatorResult(**dict(zip(RESULT_COLUMNS, row, strict=True)) | {"payload": _encoded(row[7])})
                for row in rows
            ],
            batch_size=500,
        )
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in RESULT_COLUMNS)
    # Numbers and codes need no escaping; the JSON text and the time go through copy_json/copy_cell.
    lines = (
        f"{institution}\t{indicator}\t{year}\t{version}\t{copy_cell(ambition)}\t{copy_cell(attained)}\t"
        f"{basis}\t{copy_json(text)}\t{digest}\t{input_digest}\t{signature}\t{copy_cell(run)}\t{now.isoformat()}"
        for institution, indicator, year, version, ambition, attained, basis, text, digest, input_digest, signature, run, now in rows
    )
    with connection.cursor() as cursor:
        copy_in(cursor, f"COPY {quote(IndicatorResult._meta.db_table)} ({columns}) FROM STDIN", lines)
    # COPY passes by Django's execute wrappers, which tell the page cache of every other write.
    page_cache.written(connection.alias)


def _changes(institution, run, flips: list[dict], inputs) -> list[VerdictChange]:
    """Return the change-log rows of the verdicts that flipped in this run."""
    indicator_ids = {meta["code"]: pk for pk, meta in inputs.indicator_meta.items()}
    college_ids = {meta["code"]: pk for pk, meta in inputs.college_meta.items()}
    changes = []
    for flip in flips:
        words = COLLEGE_WORDS if flip["college"] else INDICATOR_WORDS
        where = f"{flip['indicator']} {flip['year']}" + (f", college {flip['college']}" if flip["college"] else "")
        detail = flip["new_detail"] if flip["college"] else f"{flip['new_detail']}; {flip['explanation']}"
        changes.append(
            VerdictChange(
                institution=institution,
                run=run,
                indicator_id=indicator_ids[flip["indicator"]],
                year=flip["year"],
                college_id=college_ids.get(flip["college"]) if flip["college"] else None,
                old=words[flip["old"]],
                new=words[flip["new"]],
                description=f"{where}: {words[flip['old']]} -> {words[flip['new']]} ({detail})",
            )
        )
    return changes


def _team_changes(institution, run, flips: list[dict], inputs) -> list[ContributionChange]:
    """Return the change-log rows of the teams whose contribution flipped in this run.

    In the agenda's verdict words for a team (ch. 4.3, "droeg niet bij" -> "droeg bij"), like the
    flip log's "behaald" and "gehaald": a change log reports verdicts.
    """
    if not flips:
        return []
    indicator_ids = {meta["code"]: pk for pk, meta in inputs.indicator_meta.items()}
    # The payload names a team by its code, unique within the institution (contracts.md section 2).
    team_ids = dict(Team.objects.filter(institution=institution).values_list("code", "pk"))
    return [
        ContributionChange(
            institution=institution,
            run=run,
            indicator_id=indicator_ids[flip["indicator"]],
            year=flip["year"],
            team_id=team_ids[flip["team"]],
            old=TEAM_WORDS[flip["old"]],
            new=TEAM_WORDS[flip["new"]],
        )
        for flip in flips
        if flip["team"] in team_ids
    ]


def _budget_changes(institution, run, moved: list[dict]) -> list[BudgetChange]:
    """Return the change-log rows of the theme amounts that moved in this run, in cents."""
    if not moved:
        return []
    theme_ids = dict(Theme.objects.filter(institution=institution).values_list("code", "pk"))
    return [
        BudgetChange(
            institution=institution,
            run=run,
            year=change["year"],
            theme_id=theme_ids[change["theme"]],
            kind=change["kind"],
            old_cents=change["old_cents"],
            new_cents=change["new_cents"],
        )
        for change in moved
        if change["theme"] in theme_ids
    ]


def recompute_sweep(*, older_than_seconds: int = 60) -> int:
    """Re-enqueue runs that never reached the worker (broker was down) or whose worker died; return how many.

    A cut-off run that used every attempt is marked failed here instead (_give_up), so it is not
    re-sent for ever, even while the broker is down and no worker could give it up (_claim).
    """
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    cut_off = RecomputeRun.objects.filter(state=RunState.RUNNING, started_at__lt=cutoff)
    _give_up(cut_off)
    stale = list(
        RecomputeRun.objects.filter(state=RunState.PENDING, requested_at__lt=cutoff).values_list("pk", flat=True)
    ) + list(cut_off.values_list("pk", flat=True))
    return sum(recompute_enqueue(pk) for pk in stale)
