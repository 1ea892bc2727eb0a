"""Validators for the stored results: ETag and Last-Modified, conditional GETs and rendered bodies.

A recompute deletes and recreates every stored result (rapportage.services), so the ids and
`computed_at` of the result rows, in the order of the body, identify its content: the ETag is
a hash of them (with the institution, year, version and representation). Last-Modified is the newest
`computed_at` (and sign-off, finished run), in whole seconds, and only once that second has ended
(Validators.http_last_modified). A rendered body is kept under its ETag, so an unchanged result is serialised
once, not once per request: in this process's memory first (a body under an ETag never
changes, so a copy can never be stale), then in the shared cache for the other processes.
Reading a 170 KB body back from Redis on every request cost a round trip and a copy: the API
served 0.16-0.28x of the same bytes pre-rendered (issue 16, bench/api_bench.py).
"""

import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from django.core.cache import cache
from django.db.models import DateTimeField, IntegerField, Q, QuerySet, Value
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from redis.exceptions import RedisError

from agenda.models import College, Institution
from indicatoren.models import YearSignoff
from kern.release import release
from rapportage import page_cache
from rapportage.choices import RunState
from rapportage.local_store import LocalStore
from rapportage.models import BudgetResult, IndicatorResult
from rapportage.selectors import last_finished_run

logger = logging.getLogger(__name__)

CACHE_SECONDS = 3600
# The bodies this process keeps, newest last: at most this many bytes (a status list is about
# 170 KB; 32 MB holds every year, version and format of several institutions).
LOCAL_BYTES = 32 * 1024 * 1024
# The empty columns of the validators' UNION (kind, id, time, position, code), typed for PostgreSQL.
NO_TIME = Value(None, output_field=DateTimeField())
NO_NUMBER = Value(None, output_field=IntegerField())
CACHE_CONTROL = "private, no-cache"  # per caller; a client may keep it but must revalidate (cheap: 304)


@dataclass(frozen=True)
class Validators:
    """The ETag (quoted) and Last-Modified of one representation of stored results.

    `last_modified`: the newest time of what the body is made of (None: no stored result).
    `read_at`: when the data was found current, taken before it was read (_kept).
    """

    etag: str
    last_modified: datetime | None
    read_at: datetime | None = None

    def http_last_modified(self) -> int | None:
        """Return the Last-Modified to send, in whole seconds (Unix time), or None without a stored result.

        An HTTP date has whole seconds, so a body changed later within the second of the client's
        copy had the same date, and If-Modified-Since answered 304 for a changed body (a failed
        recompute a few ms after the last good one: stale false -> true; review). A date validates
        only once its second has ended (RFC 9110 8.8.2.2; Apache's rule), so:
        - newest change in a second that ended before the read: that second, as before;
        - within the read's own second: the second before, which anything written since is later than;
        - after the read (another host's clock): the read's second, never later than the answer
          (RFC 9110 8.8.2.1); the newest change stays later than it.
        """
        if self.last_modified is None:
            return None
        newest = int(self.last_modified.timestamp())
        if self.read_at is None:
            return newest
        read = int(self.read_at.timestamp())
        return newest if newest < read else read - 1 if newest == read else read

    def if_modified_since_applies(self) -> bool:
        """Return whether If-Modified-Since may give a 304: only when the newest change is in an ended second.

        Otherwise the date cannot tell the client's copy from the body now, and the ETag alone
        decides (If-None-Match, which RFC 9110 13.2.2 evaluates first anyway).
        """
        if self.last_modified is None:
            return False
        return self.read_at is None or int(self.last_modified.timestamp()) < int(self.read_at.timestamp())

    def apply(self, response: HttpResponse) -> HttpResponse:
        """Set the validator and caching headers on a response."""
        response["ETag"] = self.etag
        last_modified = self.http_last_modified()
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = CACHE_CONTROL
        patch_vary_headers(response, ["Accept", "Authorization", "Cookie"])
        return response


def _validators(
    parts: list, results: QuerySet, institution: Institution, year: int, *, earlier_signoffs: bool = False
) -> Validators:
    """Return the validators of a body made of the stored rows `results` (IndicatorResult or BudgetResult).

    The year's sign-off (`data_status`, voorlopig / vastgesteld) and whether the results are stale
    (a failed recompute, `stale_run`) are part of every body, so they are part of the ETag too:
    approving or reopening a year, or a recompute that fails or finishes, changes the ETag at once.
    A finished recompute also counts as a modification for Last-Modified.

    The ETag hashes what data_status is made of (the year's sign-off rows and the institution's
    colleges), not its outcome, so the rule stays in indicatoren.selectors; and the result rows,
    sign-offs and colleges come in one query (UNION ALL), not three: under load every round trip
    to the database was worth more than the rest of the answer (issue 16, bench/api_bench.py).
    `earlier_signoffs`: the body's data_status rests on the earlier years' sign-offs too (a budget:
    indicatoren.selectors.budget_status), so those are hashed as well.
    """
    last = last_finished_run(institution)
    failed = last if last is not None and last.state == RunState.FAILED else None  # selectors.stale_run
    years = Q(year__lte=year) if earlier_signoffs else Q(year=year)
    signoffs = (
        YearSignoff.objects.filter(years, institution=institution)
        .order_by()
        .values_list(Value("s"), "college_id", "changed_at", "year", "state")
    )
    colleges = (
        College.objects.filter(institution=institution)
        .order_by()
        .values_list(Value("c"), "id", NO_TIME, NO_NUMBER, Value(""))
    )
    rows = list(results.order_by().union(signoffs, colleges, all=True))
    # The body lists the results in the indicators' order: a reordering changes the ETag too.
    stored = sorted((position or 0, code, pk, at) for kind, pk, at, position, code in rows if kind == "r")
    inputs = sorted(
        (kind, pk or 0, at.isoformat() if at else "", number or 0, code)
        for kind, pk, at, number, code in rows
        if kind != "r"
    )
    stamps = [(pk, at.isoformat()) for _, _, pk, at in stored]
    # The release is in the ETag: a body cached by the code before a deploy is never served for it.
    # The last finished run too: data_status stays voorlopig until the runs asked before the approval
    # are done (indicatoren.selectors._results_follow), and a run that moves no row rewrites none.
    finished = last.pk if last is not None else None
    digest = hashlib.sha256(
        repr([release(), *parts, failed.pk if failed is not None else None, finished, inputs, stamps]).encode()
    )
    # A recompute rewrites only the rows that moved (issue 16), and some changes of a body rewrite
    # none: approving or reopening the year, a row that was removed. So Last-Modified is the newest
    # of the rows, the year's sign-offs and the last finished run, not of the rows alone; a client
    # that revalidates with If-Modified-Since only then never keeps a changed body.
    times = [at for *_, at in stored]
    times += [at for kind, _, at, _, _ in rows if kind == "s" and at is not None]
    if last is not None and last.finished_at is not None:
        times.append(last.finished_at)
    # No stored row: no body (the views answer 404 on a missing Last-Modified).
    last_modified = max(times) if stored else None
    return Validators(etag=f'"{digest.hexdigest()[:32]}"', last_modified=last_modified)


def _kept(parts: list, institution: Institution, compute: Callable[[], Validators]) -> Validators:
    """Return the validators `compute()` gives, kept in this process under the data's version.

    Computing them reads and hashes every result row of the year (about 112), the sign-offs and
    the colleges: more than half of a warm API request (issue 16, bench/api_bench.py). Any write
    that can change a body (results, sign-offs, colleges, the agenda's order, a failed run) is a
    committed write to a table the page cache watches, so it moves page_cache.data_version, and a
    deploy moves release(): then the validators are computed again. Without the page cache
    (PAGE_CACHE off, an unreachable cache, a write pending on this connection) they are computed
    every time, as before.
    """
    # Before the version and the data: what is written after this moment is not in the body, and
    # Last-Modified stays before it (Validators.http_last_modified).
    read_at = timezone.now()
    if not page_cache.enabled():
        return replace(compute(), read_at=read_at)
    try:
        # Before the data: a write committing meanwhile leaves the new data under the new version.
        state = page_cache.data_version(institution)
    except page_cache.CACHE_ERRORS as exc:
        logger.warning("Page cache version unreachable (%s); API validators computed", exc)
        return replace(compute(), read_at=read_at)
    kept = local_validators.get_or_make(repr([release(), state, institution.pk, *parts]), compute)
    return replace(kept, read_at=read_at)


def status_validators(institution: Institution, year: int, version: str, representation: str) -> Validators:
    """Return the validators of the status list of one year."""

    def compute() -> Validators:
        rows = IndicatorResult.objects.filter(institution=institution, year=year, version=version).values_list(
            Value("r"), "id", "computed_at", "indicator__position", "indicator__code"
        )
        return _validators(["status", institution.code, year, version, representation], rows, institution, year)

    return _kept(["status", year, version, representation], institution, compute)


def indicator_validators(institution: Institution, code: str, year: int, version: str) -> Validators:
    """Return the validators of one indicator's status in one year."""

    def compute() -> Validators:
        rows = IndicatorResult.objects.filter(
            institution=institution, indicator__code=code, year=year, version=version
        ).values_list(Value("r"), "id", "computed_at", NO_NUMBER, Value(""))
        return _validators(["indicator", institution.code, code, year, version], rows, institution, year)

    return _kept(["indicator", code, year, version], institution, compute)


def budget_validators(institution: Institution, year: int) -> Validators:
    """Return the validators of the budget split of one year."""

    def compute() -> Validators:
        rows = BudgetResult.objects.filter(institution=institution, year=year).values_list(
            Value("r"), "id", "computed_at", NO_NUMBER, Value("")
        )
        return _validators(["budget", institution.code, year], rows, institution, year, earlier_signoffs=True)

    return _kept(["budget", year], institution, compute)


def not_modified(request, validators: Validators) -> HttpResponse | None:
    """Return the 304 (or 412) answer when the client's copy is current, else None.

    Django's own get_conditional_response applies RFC 9110 13.2.2: If-None-Match (weak
    comparison) before If-Modified-Since. Without a date it ignores If-Modified-Since: so while
    the newest change is within the current second, only the ETag gives a 304.
    """
    last_modified = None
    if validators.if_modified_since_applies():
        last_modified = int(validators.last_modified.timestamp())
    response = get_conditional_response(request, etag=validators.etag, last_modified=last_modified)
    return None if response is None else validators.apply(response)


_LocalBodies = LocalStore  # the name the tests of the body store know
local_bodies = LocalStore(LOCAL_BYTES)
# The validators this process has computed, by the data's version (page_cache.data_version) and what
# they describe. 4 MB: some thousands of institutions, years, versions and formats.
local_validators = LocalStore(4 * 1024 * 1024)


def rendered(validators: Validators, render: Callable[[], bytes]) -> bytes:
    """Return the body under these validators: from this process, else the cache, else rendered now."""
    key = f"api:v1:{validators.etag.strip(chr(34))}"
    return local_bodies.get_or_make(key, lambda: _shared_or_rendered(key, render))


def _shared_or_rendered(key: str, render: Callable[[], bytes]) -> bytes:
    """Return the body under `key` from the shared cache, else rendered now (and stored there)."""
    # The cache only saves rendering: with Redis down the API renders every body itself rather
    # than answer 500 (issue 13, "no logins while Redis is down", and so no reads either).
    try:
        body = cache.get(key)
    except (RedisError, OSError) as exc:
        logger.warning("API cache unreachable (%s); rendering without it", exc)
        return render()
    if body is None:
        body = render()
        with contextlib.suppress(RedisError, OSError):
            cache.set(key, body, CACHE_SECONDS)
    return body
