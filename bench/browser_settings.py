"""Settings of bench/browser_bench.py's servers: the project's settings with one static folder in front.

BENCH_STATIC_OVERLAY names a folder whose files win over static/ (the finders look there first,
collectstatic keeps the first it finds): the floor's empty page for every server, and for the
baseline the full plotly.js of before issue 16 under the bundle's name. Nothing else differs.
"""

import os

from kwaliteit.settings import *  # noqa: F403
from kwaliteit.settings import STATICFILES_DIRS

STATICFILES_DIRS = [os.environ["BENCH_STATIC_OVERLAY"], *STATICFILES_DIRS]
