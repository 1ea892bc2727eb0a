"""Merged cells in an xlsx are refused (contracts.md section 2: an empty college with an empty team is the institution).

Read-only openpyxl gives the value of a merged range to its first cell only: a college merged
over C2:C3 left C3 empty, and row 3 was stored at institution level instead of the college's.
"""

import io
import tracemalloc

import openpyxl
import pytest

from indicatoren.importers import Catalogue, parse_benchmark


@pytest.fixture
def catalogue():
    """Return a small agenda: one percentage at every level, one college with one team, 2015-2022."""
    return Catalogue(
        indicators={"2b": "percent"},
        indicator_levels={"2b": frozenset({"team", "college", "institution"})},
        colleges=frozenset({"5100"}),
        teams={"5100-ENT": "5100"},
        years=range(2015, 2023),
    )


def saved(book: openpyxl.Workbook) -> bytes:
    """Return the bytes of a workbook."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def long_book(*merges: str, rows: int = 2) -> openpyxl.Workbook:
    """Return a long-format workbook of college rows for 2015 onwards, with the given ranges merged."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Benchmark"
    sheet.append(["jaar", "indicator", "college", "waarde"])
    for offset in range(rows):
        sheet.append([2015 + offset % 8, "2b", "5100" if offset % 8 == 0 else None, 6.0 - offset % 8])
    for merge in merges:
        sheet.merge_cells(merge)
    return book


def test_a_merged_college_column_refuses_the_file_naming_the_range(catalogue):
    """C2:C3 merged: one error naming the range and the sheet, no row parsed (none at institution level)."""
    result = parse_benchmark(saved(long_book("C2:C3")), "merged.xlsx", catalogue)
    [error] = result.errors
    assert error.message == "Samengevoegde cellen in blad 'Benchmark' (C2:C3): maak ze los en vul elke rij in"
    assert (error.sheet, error.value) == ("Benchmark", "C2:C3")
    assert result.rows.empty


def test_many_merged_ranges_are_named_up_to_five_and_counted(catalogue):
    """Seven merged ranges: five are named (in the file's order), the other two counted."""
    merges = [f"C{2 + 2 * i}:C{3 + 2 * i}" for i in range(7)]
    [error] = parse_benchmark(saved(long_book(*merges, rows=14)), "merged.xlsx", catalogue).errors
    named = error.value.split(", ")
    assert len(named) == 5 and set(named) < set(merges)
    assert error.message == (
        f"Samengevoegde cellen in blad 'Benchmark' ({error.value} en nog 2): maak ze los en vul elke rij in"
    )


def test_merged_cells_in_a_sheet_that_is_not_read_do_not_count(catalogue):
    """Long format reads the first sheet only: a merged title on a notes sheet leaves the file valid."""
    book = long_book()
    notes = book.create_sheet("Toelichting")
    notes.append(["Bron: JOB-monitor", None, None])
    notes.merge_cells("A1:C1")
    result = parse_benchmark(saved(book), "notes.xlsx", catalogue)
    assert result.errors == []
    assert result.rows["level"].tolist() == ["college", "institution"]


def test_a_merged_range_in_a_wide_sheet_refuses_the_file(catalogue):
    """Wide format reads every sheet: a merged value range in sheet 2021 is named with its sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title in ("2020", "2021"):
        sheet = book.create_sheet(title)
        sheet.append(["team", "2b"])
        sheet.append(["5100-ENT", 6.5])
        sheet.append([None, None])
    book["2021"].merge_cells("A2:A3")
    [error] = parse_benchmark(saved(book), "breed.xlsx", catalogue).errors
    assert error.message.startswith("Samengevoegde cellen in blad '2021' (A2:A3)")


def test_the_merge_check_reads_a_large_sheet_in_bounded_memory(catalogue):
    """A sheet of 40,000 rows (about 5 MB of XML) with a merge after its data is checked without holding it."""
    data = saved(long_book("C39999:C40000", rows=40_000))
    tracemalloc.start()
    try:
        result = parse_benchmark(data, "groot.xlsx", catalogue)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [error.value for error in result.errors] == ["C39999:C40000"]
    assert peak < 3 * 1024 * 1024
