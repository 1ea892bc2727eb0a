"""A small agenda catalogue for importer tests: a count and a percentage, one college with one team, 2015-2022."""

from indicatoren.importers import Catalogue, parse_benchmark


def small_catalogue() -> Catalogue:
    """Return the catalogue: indicators cnt (count) and 2b (percent) at team and college level."""
    return Catalogue(
        indicators={"cnt": "count", "2b": "percent"},
        indicator_levels={"cnt": frozenset({"team", "college"}), "2b": frozenset({"team", "college"})},
        colleges=frozenset({"5100"}),
        teams={"5100-ENT": "5100"},
        years=range(2015, 2023),
    )


def parse_line(catalogue: Catalogue, line: str):
    """Return the parse result of a long-format CSV with one data line (jaar;indicator;college;team;waarde;n)."""
    return parse_benchmark(f"jaar;indicator;college;team;waarde;n\n{line}\n".encode(), "b.csv", catalogue)
