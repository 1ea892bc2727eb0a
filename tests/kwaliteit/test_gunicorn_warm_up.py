"""gunicorn loads and warms the application before its port opens (issue 16: a worker's first request took 1 s)."""

import json
import os
import runpy
import subprocess
import sys

import yaml

from tests.services import ROOT

CHECK = """
import json, sys
import kwaliteit.wsgi as wsgi
from django.db import connections
from django.template import engines
before = "rapportage.views" in sys.modules
wsgi.warm_up()
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "views_before": before,
    "views_after": all(m in sys.modules for m in ("rapportage.views", "rapportage.api.views", "invoer.views")),
    "templates": sorted(key for key in loader.get_template_cache),
    "open_connections": [c.alias for c in connections.all() if c.connection is not None],
}))
"""


def test_compose_and_the_image_start_gunicorn_with_the_config_file():
    """docker-compose's web command and the image's CMD both name gunicorn.conf.py."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert "gunicorn kwaliteit.wsgi:application --config gunicorn.conf.py" in " ".join(command.split())
    assert (
        '"gunicorn", "kwaliteit.wsgi:application", "--config", "gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
    )


def test_the_config_preloads_the_application_and_warms_it_up_on_starting():
    """preload_app loads the application in the master; on_starting warms it before the port opens."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["preload_app"] is True
    assert callable(config["on_starting"])


def test_warm_up_imports_the_views_compiles_the_templates_and_closes_its_connections(tmp_path):
    """After warm_up every view module is imported, the pages' templates are compiled, no connection is left open."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",  # no tables: a failing request is fine too
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state["views_before"] is False and state["views_after"] is True
    assert "base.html" in state["templates"] and "rapportage/overview.html" in state["templates"]
    assert state["open_connections"] == []
