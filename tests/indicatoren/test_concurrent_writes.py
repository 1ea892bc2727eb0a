"""No lost updates under real concurrency (issue 12), on PostgreSQL.

A hundred clients read the same cell once, then all write it at the same moment through the
three channels that carry what the writer saw: the grid page (its `o_` fields), the API's
PATCH with If-Match, and the API upload of an edited grid export (its hidden sheet). Each
client runs in its own thread with its own database connection; nothing is mocked. The
outcome must be what a serial order gives: the first write wins, every later one is told
the cell changed meanwhile, and history holds exactly the one stored change.
"""

import io
import threading
from decimal import ROUND_HALF_EVEN, Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agenda.models import College
from indicatoren.models import Measurement
from invoer.grid import grid_build, value_text

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

YEAR = 2021
COLLEGE = "5100"
INDICATOR = "1a"  # score 1-10
CLIENTS = 100
BARRIER_TIMEOUT = 300  # seconds for every thread to log in and reach the start line
JOIN_TIMEOUT = 600  # per thread; generous, nothing here asserts on wall-clock time
STEP = Decimal("0.001")

GRID, PATCH, UPLOAD = "grid", "patch", "upload"
SUCCESS = {GRID: 302, PATCH: 200, UPLOAD: 201}


def token_key(username: str) -> str:
    """Return the API token key of a demo user, created once in the main thread."""
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    return token.key


def api_client(key: str) -> APIClient:
    """Return an API client that authenticates with the token `key`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def the_cell() -> Measurement:
    """Return the stored 1a value of a team of college 5100 in 2021 (the first by team code)."""
    return (
        Measurement.objects.filter(indicator__code=INDICATOR, year=YEAR, team__college__code=COLLEGE)
        .select_related("indicator", "team", "team__college")
        .order_by("team__code")
        .first()
    )


def nearby_values(original: Decimal, count: int) -> list[Decimal]:
    """Return `count` distinct values near `original`, 3 decimals, all within 1..10 (no plausibility flag)."""
    sign = 1 if original + STEP * count <= 10 else -1
    values = [(original + sign * STEP * (i + 1)).quantize(STEP, rounding=ROUND_HALF_EVEN) for i in range(count)]
    assert len(set(values)) == count and original not in values
    assert all(Decimal(1) <= value <= Decimal(10) for value in values)
    return values


def history_of(measurement: Measurement):
    """Return the cell's history records, oldest first."""
    return Measurement.history.filter(id=measurement.pk).order_by("history_date", "history_id")


def free_connection_slots() -> int:
    """Return how many more client connections PostgreSQL accepts now (this one counted as taken)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


def run_at_once(clients: list[tuple]) -> tuple[list[dict], list[str]]:
    """Run every (channel, value, prepare, send) in its own thread, all released by one barrier.

    `prepare()` runs before the barrier (logging in) and returns what `send(prepared)` needs;
    `send` makes the one request. Each thread closes its own database connection when done.
    Return the outcome of every client and the errors raised (with the client they belong to).
    """
    # Every thread holds a connection at once; give back the main thread's while they run.
    assert free_connection_slots() + 1 >= len(clients), "PostgreSQL max_connections is too low for this test"
    connection.close()
    barrier = threading.Barrier(len(clients))
    outcomes, errors = [], []

    def client(number, channel, value, prepare, send):
        try:
            prepared = prepare()
            barrier.wait(timeout=BARRIER_TIMEOUT)
            response = send(prepared)
            outcomes.append(
                {
                    "client": number,
                    "channel": channel,
                    "value": value,
                    "status": response.status_code,
                    "body": response.content.decode(errors="replace"),
                }
            )
        except Exception as exc:  # collected and asserted below
            barrier.abort()  # never leave the others waiting at the start line
            errors.append(f"client {number} ({channel}, {value}): {exc!r}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=client, args=(number, *spec), name=f"writer-{number}")
        for number, spec in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    still_running = [thread.name for thread in threads if thread.is_alive()]
    assert not still_running, f"threads still running after {JOIN_TIMEOUT} s: {still_running}"
    return outcomes, errors


def summary(outcomes: list[dict]) -> dict:
    """Return the number of clients per (channel, status), for assertion messages."""
    counts = {}
    for outcome in outcomes:
        key = (outcome["channel"], outcome["status"])
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def test_hundred_clients_on_three_channels_one_stale_read_only_the_first_write_is_stored(rocvaf_demo_tx):
    """All clients base their write on the same read; exactly one is stored, every other one gets a conflict."""
    cell = the_cell()
    college = College.objects.get(institution=rocvaf_demo_tx, code=COLLEGE)
    original, history_before = cell.value, history_of(cell).count()
    values = nearby_values(original, CLIENTS)
    director = get_user_model().objects.get(username="directeur5100")
    policy_key, director_key = token_key("beleid"), token_key("directeur5100")

    # The one read every client bases its write on, taken before any of them starts.
    stale_grid = grid_build(college, YEAR)
    grid_fields = {}
    cell_key = None
    for c in stale_grid.cells():
        grid_fields[f"v_{c.key}"], grid_fields[f"n_{c.key}"], grid_fields[f"o_{c.key}"] = (
            c.value_input,
            c.n_input,
            c.original,
        )
        if (c.team.pk, c.indicator.pk) == (cell.team_id, cell.indicator_id):
            cell_key = c.key
    assert cell_key is not None and grid_fields[f"o_{cell_key}"].startswith(value_text(original))
    read = api_client(policy_key).get(f"/api/v1/measurements/{cell.pk}/")
    assert read.status_code == 200
    etag = read.headers["ETag"]
    login = Client()
    login.force_login(director)
    export = login.get(f"/invoer/college/{COLLEGE}/export.xlsx")
    assert export.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(export.content))

    def edited_export(value: Decimal) -> bytes:
        """Return the export with only this client's cell changed to `value`."""
        sheet = workbook[str(YEAR)]
        column = [c.value for c in sheet[1]].index(INDICATOR)
        row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == cell.team.code)
        row[column].value = float(value)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def grid_writer(value):
        def prepare():
            client = Client()
            client.force_login(director)
            return client

        def send(client):
            data = {**grid_fields, f"v_{cell_key}": value_text(value)}
            return client.post(f"/invoer/college/{COLLEGE}/?jaar={YEAR}", data)

        return (GRID, value, prepare, send)

    def patch_writer(value):
        def send(client):
            return client.patch(
                f"/api/v1/measurements/{cell.pk}/", {"value": str(value)}, format="json", HTTP_IF_MATCH=etag
            )

        return (PATCH, value, lambda: api_client(policy_key), send)

    def upload_writer(value):
        data = edited_export(value)  # built here, in the main thread, before any client starts

        def send(client):
            upload = io.BytesIO(data)
            upload.name = f"resultaten-{COLLEGE}.xlsx"
            return client.post("/api/v1/uploads/", {"file": upload, "college": COLLEGE}, format="multipart")

        return (UPLOAD, value, lambda: api_client(director_key), send)

    writers = (grid_writer, patch_writer, upload_writer)  # 34 grid, 33 PATCH, 33 upload, interleaved
    clients = [writers[i % 3](value) for i, value in enumerate(values)]
    assert summary([{"channel": c[0], "status": None} for c in clients]) == {
        (GRID, None): 34,
        (PATCH, None): 33,
        (UPLOAD, None): 33,
    }

    outcomes, errors = run_at_once(clients)

    assert errors == []
    assert len(outcomes) == CLIENTS
    counts = summary(outcomes)
    winners = [o for o in outcomes if o["status"] == SUCCESS[o["channel"]]]
    cell.refresh_from_db()
    history = list(history_of(cell))
    print(
        f"outcomes per (channel, status): {counts}; stored {cell.value} (was {original}), "
        f"history +{len(history) - history_before}; successes: {[(o['channel'], o['value']) for o in winners]}"
    )
    assert len(winners) == 1, f"expected exactly one stored write, got {len(winners)}: {counts}"
    winner = winners[0]
    for outcome in outcomes:
        if outcome is winner:
            continue
        channel, status, body = outcome["channel"], outcome["status"], outcome["body"]
        if channel == GRID:
            assert status == 400 and "Intussen gewijzigd" in body, (outcome["client"], status, body[:500], counts)
        elif channel == PATCH:
            assert status == 412, (outcome["client"], status, body[:500], counts)
        else:
            assert status == 400 and "intussen gewijzigd" in body, (outcome["client"], status, body[:500], counts)

    # A serial order: the first write stored, every later one refused; history grew by that one change.
    assert cell.value == winner["value"], (cell.value, winner)
    assert len(history) == history_before + 1
    assert history[-1].value == winner["value"] and history[-1].history_type == "~"


def test_twenty_patches_without_if_match_are_all_stored_one_after_the_other(rocvaf_demo_tx):
    """Without If-Match the last writer wins, but no write is lost silently: 20 PATCHes, 20 history records."""
    cell = the_cell()
    history_before = history_of(cell).count()
    values = nearby_values(cell.value, 20)
    policy_key = token_key("beleid")

    def patch_writer(value):
        def send(client):
            return client.patch(f"/api/v1/measurements/{cell.pk}/", {"value": str(value)}, format="json")

        return (PATCH, value, lambda: api_client(policy_key), send)

    outcomes, errors = run_at_once([patch_writer(value) for value in values])

    assert errors == []
    counts = summary(outcomes)
    print(f"outcomes per (channel, status): {counts}")
    assert counts == {(PATCH, 200): 20}, [(o["status"], o["body"][:300]) for o in outcomes if o["status"] != 200]
    cell.refresh_from_db()
    assert cell.value in values
    added = list(history_of(cell))[history_before:]
    assert len(added) == 20
    # Serialised: every written value is in history once, and the last record is what is stored.
    assert sorted(record.value for record in added) == sorted(values)
    assert added[-1].value == cell.value
