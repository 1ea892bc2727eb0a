"""Measurement.source names where a figure comes from (JOB, STO, DUO; issue 18), not the channel.

Before issue 18 every write put its channel in `source` ("upload #12 bm.csv", "invoer 5100 2022",
"API", "beheer: naam"). The channel is provenance, kept in `upload` and in the history's change
reason; left in `source` it would read as a change of survey on the trend chart. History rows keep
what they held.
"""

from django.db import migrations
from django.db.models import Q

CHANNELS = Q(source__startswith="upload #") | Q(source__startswith="invoer ") | Q(source="API")
CHANNELS |= Q(source__startswith="beheer: ")


def forwards(apps, schema_editor):
    Measurement = apps.get_model("indicatoren", "Measurement")
    Measurement.objects.filter(CHANNELS).update(source="")


class Migration(migrations.Migration):
    dependencies = [("indicatoren", "0004_series_breakdowns_composites")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
