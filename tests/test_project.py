"""Project-wide rules of style.md: migrations complete, a pure engine, ruff clean."""

import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kern", "agenda", "indicatoren", "maatregelen", "rapportage", "invoer", "demo", "kwaliteit")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """Run import-linter's contracts (pyproject.toml) on the packages under `root`."""
    env = {"PYTHONPATH": str(root), "PATH": str(LINT_IMPORTS.parent), "LC_ALL": "C.UTF-8", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_import_contracts_are_kept():
    """The engine, importer, rules and demo generator are pure; no lower app imports a higher one anew."""
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_catch_a_deliberate_violation(tmp_path):
    """Django in the engine, or an upward import in agenda, breaks the contracts (make lint fails)."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "rapportage" / "engine" / "leak.py").write_text("from django.db import models  # deliberate\n")
    (tmp_path / "agenda" / "upward.py").write_text("import rapportage.charts  # deliberate\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "rapportage.engine.leak -> django" in result.stdout
    assert "agenda.upward -> rapportage.charts" in result.stdout
    assert "Contracts: 0 kept, 2 broken." in result.stdout


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
