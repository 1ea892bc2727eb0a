"""How much of a free text a reader can see: the one count behind "give a reason of at least N characters".

A reason is logged so that a reader later knows why (domain.md, "Sign-off and locking": a
year is reopened "with a reason, which is logged"). Five zero-width spaces pass a plain
len() and log nothing anyone can read, so every minimum length counts visible characters
only. Pure Python, no Django: every layer may use it (agenda's herijking reasons too).
"""

import unicodedata

# Letters, numbers, punctuation and symbols are seen; separators (Zs, Zl, Zp), controls and
# format characters (Cc, Cf: zero-width space and joiners, bidi marks), unassigned and private
# code points (C*), and combining marks on their own (M*) are not.
VISIBLE_CATEGORIES = ("L", "N", "P", "S")

# Code points of a visible category that draw nothing: the Hangul fillers and the blank Braille
# pattern, the usual way around a check that only strips spaces.
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible_length(text: str | None) -> int:
    """Return how many characters of `text` a reader sees (letters, digits, punctuation, symbols)."""
    return sum(
        1
        for character in text or ""
        if unicodedata.category(character)[0] in VISIBLE_CATEGORIES and character not in BLANK_CHARACTERS
    )
