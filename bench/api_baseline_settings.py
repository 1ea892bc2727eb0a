"""Settings for the baseline of bench/api_bench.py: the project's settings with the baseline URLconf."""

from kwaliteit.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_baseline_urls"
