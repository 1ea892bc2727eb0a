"""Writing rows with PostgreSQL's COPY ... FROM STDIN, in its text format (psycopg2, or psycopg 3).

COPY writes a page of rows per log record where INSERT writes one per row, and its text needs no
SQL parsing: the import of 100,000 values (indicatoren.services) and the recompute's results
(rapportage.services) store through it (issue 16: writes within 3x of COPY, durability on).
A COPY bypasses Django's execute wrappers: its caller tells the page cache (kern.signals).
"""

from decimal import Decimal

NULL = "\\N"  # COPY's text format for NULL
COPY_CHUNK = 1 << 16  # characters sent to PostgreSQL at a time


def copy_cell(value) -> str:
    """Return a value in COPY's text format (NULL as \\N); text with tabs or breaks needs copy_text."""
    if value is None:
        return NULL
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def copy_text(text: str) -> str:
    """Return free text for COPY's text format: backslash, tab and line breaks escaped."""
    if not text:
        return ""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_json(text: str) -> str:
    """Return a JSON text for COPY's text format: copy_text's escaping, in one pass when it can be.

    Compact JSON has no tab or line break outside its strings, and none inside them: RFC 8259
    section 7 writes control characters in strings as escapes. So only its backslashes need
    doubling, one pass over the text instead of copy_text's four (a recompute where every value
    moved escapes 70 MB per batch: benchmarks.md 17). A text with a raw break or tab still gets them.
    """
    if "\t" in text or "\n" in text or "\r" in text:
        return copy_text(text)
    return text.replace("\\", "\\\\")


class _CopyStream:
    """Read COPY lines as a file, a chunk at a time: the text of 100,000 rows is never one string in memory."""

    def __init__(self, lines, end: str = "\n"):
        self._lines = iter(lines)
        self._end = end  # what ends each line (the history's columns, then the line break)

    def read(self, size: int = -1) -> str:
        """Return the next whole lines, at least `size` characters of them while there are lines left."""
        chunk, length = [], 0
        for line in self._lines:
            chunk.append(line)
            length += len(line)
            if 0 < size <= length:
                break
        return self._end.join(chunk) + self._end if chunk else ""


def copy_in(cursor, statement: str, lines, end: str = "\n") -> None:
    """Feed `lines`, each followed by `end`, to a COPY ... FROM STDIN statement through a Django cursor."""
    stream = _CopyStream(lines, end)
    raw = cursor.cursor
    if hasattr(raw, "copy_expert"):
        raw.copy_expert(statement, stream, size=COPY_CHUNK)
    else:
        with raw.copy(statement) as copy:
            for chunk in iter(lambda: stream.read(COPY_CHUNK), ""):
                copy.write(chunk)
