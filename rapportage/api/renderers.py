"""Renderers of the stored results: JSON with every digit, and the status list as a flat CSV."""

import csv
import io
from decimal import Decimal

from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from kern.spreadsheet import csv_text
from rapportage.engine import exact_json

STATUS_COLUMNS = [
    "indicator",
    "name",
    "theme",
    "year",
    "ambition_type",
    "baseline",
    "target",
    "institution_value",
    "colleges_met",
    "colleges_total",
    "attained",
    "basis",
    "explanation",
]
# Of the body, repeated on every row after STATUS_COLUMNS (appended: the columns before keep their
# place). Without them the CSV passed the verdicts of a failed recompute off as current (domain.md,
# decided points) and did not say whether the year is approved (contracts-extensions.md).
BODY_COLUMNS = ["stale", "data_status"]


def csv_cell(value) -> str:
    """Return a value as a CSV cell: numbers as written in JSON, text with formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Decimal):  # a number with more digits than a float keeps (exact_json)
        return exact_json.number_text(value)
    # A spreadsheet would run "=...", "+...", "-..." or "@..." as a formula (CSV injection).
    return csv_text(str(value))


def status_csv(body: dict) -> str:
    """Return the rows of a status list body as CSV text with a header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATUS_COLUMNS + BODY_COLUMNS)
    shared = [csv_cell(body.get(column)) for column in BODY_COLUMNS]
    for status in body["indicators"]:
        writer.writerow([csv_cell(status.get(column)) for column in STATUS_COLUMNS] + shared)
    return out.getvalue()


class StatusCSVRenderer(BaseRenderer):
    """Render a status list body as UTF-8 CSV with a byte order mark (Excel reads it as UTF-8)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        """Return the status list body as CSV bytes."""
        return ("\ufeff" + status_csv(data)).encode("utf-8")


class ExactJSONEncoder(exact_json.Encoder, JSONEncoder):
    """DRF's JSON encoder, writing Decimals as numbers with every digit instead of as floats."""


class ExactJSONRenderer(JSONRenderer):
    """Render a result body as JSON whose numbers keep every digit (issue 11 part 7)."""

    encoder_class = ExactJSONEncoder
