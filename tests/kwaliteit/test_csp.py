"""The Content-Security-Policy (issue 13): sent with every page, strict for scripts, and no
template relies on what it refuses. tests/kwaliteit/test_browser_csp.py checks it in chromium.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A <script> element that carries its code inline: no src, and not a JSON data block (json_script).
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def policy(response) -> dict[str, list[str]]:
    """Return the response's Content-Security-Policy as {directive: sources}."""
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/healthz", "/api/docs/", "/admin/login/"])
def test_every_response_carries_a_strict_policy(client, path):
    """Scripts only from the site itself (or a nonce); no plugins, no framing, no foreign base or form targets."""
    directives = policy(client.get(path))
    assert directives["default-src"] == ["'self'"]
    assert "'self'" in directives["script-src"]
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "https:"} & set(directives["script-src"])
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


def test_no_template_has_an_inline_script_or_event_handler():
    """Every script is a static file: an inline <script> or an onchange= would be refused by the policy."""
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER):
            offenders += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


def test_the_api_docs_page_loads_its_start_script_as_a_file(client, db):
    """Swagger UI's start script comes from a URL of the site, not from an inline <script>."""
    html = client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(html)
    script = re.search(r'<script src="([^"]*\?script[^"]*)"', html)
    assert script, html
    assert client.get(script.group(1).replace("&amp;", "&")).status_code == 200
