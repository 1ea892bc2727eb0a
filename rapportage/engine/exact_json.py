"""JSON with exact numbers: a Decimal is written as a JSON number with every digit, and read back so.

A float keeps 15 to 17 significant digits, a value up to 18 (kern.rules.MAX_DIGITS), so a payload
number is a float only when the float prints the value's own digits, and a Decimal otherwise
(payload.json_number; issue 11 part 7). The standard json module writes a float's digits but
refuses a Decimal, and reads every fraction as a float; this module writes the Decimal's digits
as a number and reads a number back as a Decimal only when a float would change its digits, so
a payload keeps its types through storage (rapportage.models), the API and the commands.
"""

import json
import re
import secrets
from decimal import Decimal

import orjson

from kern.rules import float_keeps

# A JSON number text of at most 16 characters with a point or exponent has at most 15 digits,
# which a float always prints back as the same number (IEEE 754 double: 15 decimal digits).
_SHORT = 16


def number_text(value: Decimal) -> str:
    """Return a finite Decimal as a JSON number text, without exponent."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return format(value, "f")


def parse_number(text: str) -> float | Decimal:
    """Return a JSON number with a fraction or exponent: a float when it prints the same number, else a Decimal."""
    if len(text) <= _SHORT:
        return float(text)
    exact = Decimal(text)
    return float(exact) if float_keeps(exact) else exact


class Encoder(json.JSONEncoder):
    """Write Decimals as JSON numbers with every digit; everything else as the json module does.

    The json module's own (fast) encoder writes the document with a unique placeholder string
    for each Decimal, which is then replaced by the number: a document without Decimals costs
    nothing extra.
    """

    def encode(self, o) -> str:
        """Return the JSON text of `o`."""
        numbers: list[str] = []
        # A control character and a fresh random tag: no text in a document starts so.
        tag = f"\x00{secrets.token_hex(8)}:"
        fallback = self.default

        def default(value):
            if isinstance(value, Decimal):
                numbers.append(number_text(value))
                return f"{tag}{len(numbers) - 1}"
            return fallback(value)

        text = json.JSONEncoder(
            skipkeys=self.skipkeys,
            ensure_ascii=self.ensure_ascii,
            check_circular=self.check_circular,
            allow_nan=self.allow_nan,
            sort_keys=self.sort_keys,
            indent=self.indent,
            separators=(self.item_separator, self.key_separator),
            default=default,
        ).encode(o)
        if not numbers:
            return text
        quoted = re.escape(json.dumps(tag, ensure_ascii=self.ensure_ascii)[:-1])
        return re.sub(quoted + r'(\d+)"', lambda match: numbers[int(match[1])], text)

    def iterencode(self, o, _one_shot=False):
        """Return the JSON text of `o` in one piece (json.dump writes what this yields)."""
        return iter([self.encode(o)])


class Decoder(json.JSONDecoder):
    """Read a JSON number as a float when the float keeps its digits, else as the exact Decimal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse_float", parse_number)
        super().__init__(*args, **kwargs)


def dumps(obj, **kwargs) -> str:
    """Return `obj` as JSON text with exact numbers (the keyword arguments of json.dumps)."""
    return json.dumps(obj, cls=Encoder, **kwargs)


def loads(text: str | bytes):
    """Return the document of a JSON text, its numbers exact."""
    return json.loads(text, cls=Decoder)


def _fragment(value):
    """Return a Decimal as orjson's raw JSON number; refuse anything else, as json.dumps would."""
    if isinstance(value, Decimal):
        return orjson.Fragment(number_text(value).encode())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def store_text(obj) -> str:
    """Return `obj` as compact JSON text with exact numbers, for storage: what dumps writes, read back alike.

    orjson writes floats with the same shortest digits as repr and Decimals through _fragment;
    it is several times faster than the json module (issue 16: encoding was 1.7 s of the sector
    recompute). It refuses integers beyond 64 bits; those documents take dumps.
    """
    try:
        return orjson.dumps(obj, default=_fragment).decode()
    except TypeError:
        return dumps(obj)
