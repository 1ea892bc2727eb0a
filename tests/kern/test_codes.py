"""The rule for college and team codes (kern/rules.py) and their URL converter (kern/codes.py): no database."""

import re

import pytest
from django.core.exceptions import ValidationError

from kern import rules
from kern.codes import CodeConverter, validate_college_code, validate_team_code

SLASH_MESSAGE = "Teamcode '5110/X' mag alleen letters, cijfers, '-', '_' en '.' bevatten."


@pytest.mark.parametrize("code", ["5100", "5100-ENT", "T_1", "a.b", "9", "x" * 40, "ROCvAF-2019.v2"])
def test_codes_of_letters_digits_dash_underscore_and_dot_are_valid(code):
    """Letters, digits, '-', '_' and '.', starting with a letter or digit, up to 40 characters, pass."""
    assert rules.code_problem(code, "Teamcode") is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("5110/X", "mag alleen letters, cijfers, '-', '_' en '.' bevatten"),
        ("5110 X", "mag alleen letters"),
        ("=1+2", "mag alleen letters"),
        ("+cmd", "mag alleen letters"),
        ("@SUM", "mag alleen letters"),
        ("<b>x</b>", "mag alleen letters"),
        ("5110%2F", "mag alleen letters"),
        ("T\x00", "mag alleen letters"),
        ("Zuidoost-é", "mag alleen letters"),
        ("-5100", "moet met een letter of cijfer beginnen"),
        (".", "moet met een letter of cijfer beginnen"),
        ("..", "moet met een letter of cijfer beginnen"),
        ("x" * 41, "te lang: hoogstens 40 tekens"),
        ("", "mag niet leeg zijn"),
    ],
)
def test_a_code_outside_the_rule_gets_a_dutch_message(code, fragment):
    """Every character outside the rule, a dot or dash first, and an over-long code are named."""
    assert fragment in rules.code_problem(code, "Teamcode")


def test_the_message_names_the_code_as_the_issue_asks():
    """The message reads exactly as the issue asks for team 5110/X."""
    assert rules.code_problem("5110/X", "Teamcode") == SLASH_MESSAGE


def test_a_control_character_is_shown_visibly_in_the_message():
    """A NUL in a code appears as \\x00 in the message, never as the raw character."""
    message = rules.code_problem("T\x00", "Collegecode")
    assert "\x00" not in message and "T\\x00" in message and message.startswith("Collegecode")


def test_college_codes_are_at_most_20_characters():
    """A college code has its own limit: the model field's 20."""
    assert rules.code_problem("c" * 20, "Collegecode") is None
    assert "hoogstens 20 tekens" in rules.code_problem("c" * 21, "Collegecode")


def test_the_model_validators_raise_the_rules_message():
    """The validators on College.code and Team.code raise the rule's message, and accept valid codes."""
    validate_team_code("5100-ENT")
    validate_college_code("5100")
    with pytest.raises(ValidationError) as caught:
        validate_team_code("5110/X")
    assert caught.value.messages == [SLASH_MESSAGE]


@pytest.mark.parametrize("code", ["5100", "5100-ENT", "a.b_c", "5110/X", "50%", "=1+2", "a b", "é", "a?b#c"])
def test_every_stored_code_has_a_url_segment_that_leads_back_to_it(code):
    """A valid code is its own segment; a legacy one is percent-encoded and decoded back exactly."""
    converter = CodeConverter()
    segment = converter.to_url(code)
    assert "/" not in segment
    assert re.fullmatch(CodeConverter.regex, segment)
    assert converter.to_python(segment) == code
    if rules.code_problem(code, "Teamcode") is None:
        assert segment == code


@pytest.mark.parametrize("segment", ["%00", "a%00", "%0A", "%7F"])
def test_a_segment_that_decodes_to_a_control_character_is_no_match(segment):
    """Control characters (PostgreSQL refuses NUL) make the segment no match: a 404, never a query."""
    with pytest.raises(ValueError):
        CodeConverter().to_python(segment)
