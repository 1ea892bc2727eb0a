"""The engine, selectors and recompute service as they were before optimisation, for same-run ratios.

The files the optimisation changed (attainment.py, numbers.py, payload.py, explain.py,
selectors.py, services.py) are read with `git show BASELINE_COMMIT:path` (read-only) into a
temporary package, their imports rewritten to point at each other, and so is budget.py: the old
services call its split_budget with the arguments of that time (issue 15's reserve changed
them). Everything else (the models, the rest of the engine) is the live code. So the benchmark
measures the old and the new code on the same rows, in the same process, in the same run, and
nothing of the old code is copied into the project.
"""

import atexit
import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The last commit before the optimisation of issue 3 item 7 (engine, selectors, services).
BASELINE_COMMIT = "0fe50df7543fd83cdee0837758ce48f107437fe1"
PACKAGE = "bench_baseline"
ENGINE_FILES = ["numbers", "attainment", "payload", "explain", "budget"]


def _source(path: str) -> str:
    """Return a file of the baseline commit."""
    return subprocess.run(
        ["git", "show", f"{BASELINE_COMMIT}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def _rewrite(text: str) -> str:
    """Return `text` with the imports of the optimised modules pointing into the baseline package."""
    for name in ENGINE_FILES:
        text = text.replace(f"from rapportage.engine.{name} import", f"from {PACKAGE}.engine.{name} import")
    return text.replace("from rapportage import selectors", f"from {PACKAGE} import selectors")


def load():
    """Return the baseline package (attributes engine.attainment, engine.payload, selectors, services)."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    base = Path(tempfile.mkdtemp(prefix="kwaliteit-baseline-")) / PACKAGE
    atexit.register(shutil.rmtree, base.parent, True)
    (base / "engine").mkdir(parents=True)
    (base / "__init__.py").write_text('"""Baseline code for the engine benchmark."""\n')
    (base / "engine" / "__init__.py").write_text('"""Baseline engine modules."""\n')
    for name in ENGINE_FILES:
        (base / "engine" / f"{name}.py").write_text(_rewrite(_source(f"rapportage/engine/{name}.py")))
    for name in ("selectors", "services"):
        (base / f"{name}.py").write_text(_rewrite(_source(f"rapportage/{name}.py")))
    sys.path.insert(0, str(base.parent))
    package = importlib.import_module(PACKAGE)
    package.engine = importlib.import_module(f"{PACKAGE}.engine")
    for name in ENGINE_FILES:
        setattr(package.engine, name, importlib.import_module(f"{PACKAGE}.engine.{name}"))
    return package


def load_django():
    """Return the baseline package with its selectors and services imported (needs django.setup())."""
    package = load()
    package.selectors = importlib.import_module(f"{PACKAGE}.selectors")
    package.services = importlib.import_module(f"{PACKAGE}.services")
    return package
