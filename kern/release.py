"""The identity of the code that runs: what a cached page or API body was rendered by.

Pages (rapportage.page_cache) and API bodies (rapportage.api.conditional) are kept in Redis, which
outlives a deploy. Their keys and ETags name the data they show; without the code's identity a
browser revalidating after a deploy got 304 for the old HTML, whose hashed static files the new
image no longer has (review of issue 16). The identity is a digest of the project's source,
templates and static files, the same in every process of one image, so workers and containers of
one release share their caches.
"""

import functools
import hashlib
from pathlib import Path

from django.conf import settings

# What a release is made of: code, templates, static files and the agenda files read at run time.
_SUFFIXES = {".py", ".html", ".txt", ".js", ".css", ".yaml", ".json"}
_SKIP = {".venv", "tests", "bench", "var", "artifacts", "staticfiles", "node_modules", ".git", "__pycache__", "vendor"}


@functools.cache
def release() -> str:
    """Return a short digest of the running code (computed once per process)."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for path in sorted(_files(root)):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _files(root: Path):
    """Yield the release's files under `root`, skipping environments, tests and generated folders."""
    for child in root.iterdir():
        if child.name in _SKIP or child.name.startswith("."):
            continue
        if child.is_dir():
            yield from _files(child)
        elif child.suffix in _SUFFIXES:
            yield child
