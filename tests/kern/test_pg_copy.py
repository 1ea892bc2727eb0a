"""COPY's text format (kern/pg_copy.py): a JSON text escaped in one pass reads back as copy_text's. No database."""

import json

from hypothesis import given
from hypothesis import strategies as st

from kern.pg_copy import copy_json, copy_text
from rapportage.engine import exact_json

# Text with what COPY's text format must escape (backslash, tab, breaks) and what it must not touch.
TEXT = st.text(alphabet=st.sampled_from(["a", "é", "\\", "\t", "\n", "\r", '"', "N", "€", "\x00", "\x1f"]))
DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**18), 10**18) | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)


def _unescape(line: str) -> str:
    """Return what PostgreSQL reads from one COPY text field (the escapes copy_text writes)."""
    table = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
    out, position = [], 0
    while position < len(line):
        pair = line[position : position + 2]
        if pair in table:
            out.append(table[pair])
            position += 2
        else:
            out.append(line[position])
            position += 1
    return "".join(out)


@given(DOCUMENTS)
def test_a_stored_json_text_is_escaped_as_copy_text_escapes_it(document):
    """The text the recompute stores (exact_json.store_text) gets the same field from copy_json as from copy_text."""
    text = exact_json.store_text(document)
    assert copy_json(text) == copy_text(text)
    assert "\t" not in copy_json(text) and "\n" not in copy_json(text)
    assert _unescape(copy_json(text)) == text


@given(DOCUMENTS)
def test_a_json_text_with_raw_breaks_still_gets_them_escaped(document):
    """An indented JSON text (raw line breaks between tokens) is escaped in full, not only its backslashes."""
    text = json.dumps(document, indent="\t")
    assert copy_json(text) == copy_text(text)
    assert _unescape(copy_json(text)) == text
