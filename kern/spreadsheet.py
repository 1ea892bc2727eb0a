"""Text in the spreadsheets the project writes can never run as a formula (OWASP "CSV injection").

A spreadsheet program takes a cell that starts with '=', '+', '-', '@', a tab or a carriage
return for a formula, and a formula can run commands (DDE) or send data away (HYPERLINK).
Names and codes are typed by people, so every CSV and XLSX the project writes sends its text
cells through here; numbers stay numbers (issue 13).

- CSV: a cell has no types, so such a text gets a leading apostrophe (`csv_text`), the OWASP
  advice. `csv_restore` takes exactly that apostrophe off again where the project reads its own
  files back (the codes of a benchmark file: `import_benchmark --restore` of a backup's data.csv).
  The pair is exact for every text: one more apostrophe is added to a text that already starts
  with apostrophes before a formula character, so restoring never eats one that belonged to it.
- XLSX: a cell has a type, so the text is written unchanged as a string cell with Excel's quote
  prefix (`xlsx_text`): it shows and reads back exactly as typed and is never evaluated, even after
  editing the cell.

Pure Python (no Django, no openpyxl import): the importer may use it.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEUTRALISED = re.compile(r"'*[=+\-@\t\r]")  # what csv_text prefixes: apostrophes, then a formula character
_RESTORABLE = re.compile(r"'+[=+\-@\t\r]")


def is_formula_like(text: str) -> bool:
    """Return whether a spreadsheet could take `text` for a formula."""
    return text.startswith(FORMULA_START)


def csv_text(text: str) -> str:
    """Return a text for a CSV cell: prefixed with an apostrophe when a spreadsheet would run it."""
    return "'" + text if _NEUTRALISED.match(text) else text


def csv_restore(text: str) -> str:
    """Return the text csv_text was given: the one apostrophe it added is taken off, nothing else."""
    return text[1:] if _RESTORABLE.match(text) else text


def csv_cell(value) -> object:
    """Return a value for a CSV cell: text neutralised, numbers and empty cells as they are."""
    return csv_text(value) if isinstance(value, str) else value


def xlsx_text(cell, text: str) -> None:
    """Put a text in an openpyxl cell as a string that is never evaluated (openpyxl takes '=...' for a formula)."""
    cell.value = text
    if is_formula_like(text):
        cell.data_type = "s"
        cell.quotePrefix = True  # Excel keeps it text when the cell is edited, as a typed "'" would
