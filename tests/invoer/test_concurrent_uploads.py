"""Two uploads at once end as if applied one after the other (issue 8), on PostgreSQL."""

import threading

import pytest
from django.db import connection

from agenda.models import Team
from indicatoren.models import Measurement, Upload, UploadStatus
from invoer.uploads import benchmark_import

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def file_for(teams, value: str) -> bytes:
    """Return a benchmark file setting 2b in 2021 and 2022 for `teams` to `value`."""
    lines = ["jaar;indicator;team;waarde"]
    lines += [f"{year};2b;{team.code};{value}" for team in teams for year in (2021, 2022)]
    return ("\n".join(lines) + "\n").encode()


def stored(teams) -> dict:
    """Return the stored 2b values of the teams in 2021 and 2022."""
    return {
        (m.team.code, m.year): str(m.value.normalize())
        for m in Measurement.objects.filter(indicator__code="2b", year__in=(2021, 2022), team__in=teams).select_related(
            "team"
        )
    }


def test_two_uploads_at_once_equal_one_after_the_other(rocvaf_demo_tx):
    """Overlapping files imported concurrently both succeed; the end state is one of the two serial orders."""
    teams = list(Team.objects.filter(institution=rocvaf_demo_tx, college__code="5100").order_by("code")[:6])
    both, only_a, only_b = teams[:3], teams[3:4], teams[4:6]
    Measurement.objects.filter(indicator__code="2b", year__in=(2021, 2022), team__in=teams).delete()  # all new keys
    files = {"a.csv": file_for(both + only_a, "11,1"), "b.csv": file_for(both + only_b, "22,2")}
    barrier = threading.Barrier(2)
    errors = []

    def upload(name):
        try:
            barrier.wait(timeout=10)
            benchmark_import(institution=rocvaf_demo_tx, data=files[name], filename=name, channel="api")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(name,)) for name in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Upload.objects.filter(original_name__in=files, status=UploadStatus.ACCEPTED).count() == 2
    end = stored(teams)
    a_then_b = {
        **{(t.code, y): "11.1" for t in only_a for y in (2021, 2022)},
        **{(t.code, y): "22.2" for t in both + only_b for y in (2021, 2022)},
    }
    b_then_a = {
        **{(t.code, y): "22.2" for t in only_b for y in (2021, 2022)},
        **{(t.code, y): "11.1" for t in both + only_a for y in (2021, 2022)},
    }
    assert end in (a_then_b, b_then_a)
    # The later upload replaced the earlier one's values: history holds both versions of an overlapping value.
    overlapping = Measurement.objects.get(indicator__code="2b", year=2021, team=both[0])
    assert overlapping.history.count() == 2
