"""Settings of the benchmarks' server: the project's settings with the floors' URLconf in front of its own."""

from kwaliteit.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_baseline_urls"
