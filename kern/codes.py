"""College and team codes in Django: the model validators and the URL converter, on the rule of kern.rules.

The rule itself (which characters, how long) lives in kern.rules.code_problem; this module only
hands it to Django, so the admin, the team pages and the agenda loader refuse the same codes with
the same Dutch message (issue 13).
"""

import unicodedata
from urllib.parse import unquote

from django.core.exceptions import ValidationError
from django.urls import register_converter
from django.utils.deconstruct import deconstructible

from kern.rules import CODE_CHARACTERS, code_problem


@deconstructible
class CodeValidator:
    """Refuse a code that breaks the rule for codes (`what`: "Teamcode" or "Collegecode")."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, value) -> None:
        """Raise ValidationError with the rule's Dutch message."""
        problem = code_problem(str(value), self.what)
        if problem:
            raise ValidationError(problem, code="invalid_code")

    def __eq__(self, other) -> bool:
        return isinstance(other, CodeValidator) and other.what == self.what


validate_team_code = CodeValidator("Teamcode")
validate_college_code = CodeValidator("Collegecode")

_SAFE = frozenset(CODE_CHARACTERS)


class CodeConverter:
    """A college or team code in a page address (`<code:team_code>`).

    A code that obeys the rule is its own URL segment. A code stored before the rule existed
    (legacy, e.g. '5110/X') is percent-encoded character by character, so its pages stay
    reachable (to deactivate or delete it) and a page listing it never fails on its link. Any
    other segment, and one that decodes to a control character (NUL is refused by PostgreSQL),
    is simply no match: Django answers 404, never 500.
    """

    regex = r"[A-Za-z0-9._%-]{1,200}"

    def to_python(self, value: str) -> str:
        """Return the code of a URL segment; ValueError (404) when it decodes to control characters."""
        code = unquote(value) if "%" in value else value
        if any(unicodedata.category(ch) == "Cc" for ch in code):
            raise ValueError("control character in a code")
        return code

    def to_url(self, value) -> str:
        """Return the segment of a code: itself when it obeys the rule, else percent-encoded."""
        text = str(value)
        if _SAFE.issuperset(text):
            return text
        return "".join(ch if ch in _SAFE else "".join(f"%{byte:02X}" for byte in ch.encode()) for ch in text)


register_converter(CodeConverter, "code")
