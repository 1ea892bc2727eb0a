"""Settings of bench/browser_bench.py's servers: the project's settings with one folder in front.

BENCH_OVERLAY names a folder whose static/ and templates/ win over the project's (the finders and
the template loader look there first, collectstatic keeps the first it finds): the floor's empty
page for every server, and for a baseline the files of an older commit under their own names (the
eager dashboard.js and chart templates, or the full plotly.js of before issue 16 under the bundle's
name). Nothing else differs.
"""

import os
from pathlib import Path

from kwaliteit.settings import *  # noqa: F403
from kwaliteit.settings import STATICFILES_DIRS, TEMPLATES

_OVERLAY = Path(os.environ["BENCH_OVERLAY"])
STATICFILES_DIRS = [_OVERLAY / "static", *STATICFILES_DIRS]
TEMPLATES = [{**TEMPLATES[0], "DIRS": [_OVERLAY / "templates", *TEMPLATES[0]["DIRS"]]}, *TEMPLATES[1:]]
