"""Project-wide rules of style.md: migrations complete, a pure engine, ruff clean."""

import ast
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PURE = [
    ROOT / "rapportage" / "engine",
    ROOT / "indicatoren" / "importers.py",
    ROOT / "indicatoren" / "demo.py",
    ROOT / "indicatoren" / "rules.py",
]
FORBIDDEN = ("django", "rest_framework", "celery", "kwaliteit", "agenda", "maatregelen", "indicatoren", "rapportage")
# Project modules that are pure themselves, so a pure module may import them.
PURE_MODULES = ("rapportage.engine", "indicatoren.rules")


def imported_modules(path: Path) -> set[str]:
    """Return the top-level modules a Python file imports, leaving out the project's pure modules."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            full = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            full = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        names.update(name.split(".")[0] for name in full if not name.startswith(PURE_MODULES))
    return names


@pytest.mark.parametrize("target", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_modules_import_no_django(target):
    """The engine, the importer and the demo generator import no Django, settings or ORM."""
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    assert files
    for file in files:
        bad = imported_modules(file) & set(FORBIDDEN)
        assert not bad, f"{file.relative_to(ROOT)} imports {bad}"


@pytest.mark.django_db
def test_migrations_are_complete():
    """Every model change has a migration (makemigrations --check)."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:
        pytest.fail(f"missing migrations:\n{out.getvalue()}")
        raise exc


def test_ruff_is_clean():
    """The code passes `ruff check` (style.md habits)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--quiet", str(ROOT)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
