"""Tracking codes: readable over the phone, forgiving when typed, impossible to enumerate."""

from __future__ import annotations

import re

import pytest

from suqiu.appeals import selectors
from suqiu.appeals.tests.chain import new_appeal
from suqiu.appeals.tracking import ALPHABET, LENGTH, format_code, new_tracking_code, normalise_code
from suqiu.core.errors import NotFound

CODE = re.compile(rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")


def test_the_alphabet_has_no_look_alikes():
    assert len(ALPHABET) == len(set(ALPHABET)) == 30
    assert not set(ALPHABET) & set("01OILU")
    assert ALPHABET == ALPHABET.upper()
    assert LENGTH == 12


def test_new_codes_are_well_formed():
    for _ in range(200):
        assert CODE.match(new_tracking_code())


def test_codes_are_unique_and_not_sequential():
    codes = [new_tracking_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    # Not issued in order, and neighbours share no prefix: nothing to count up from.
    assert codes != sorted(codes)
    same_block = sum(a[:4] == b[:4] for a, b in zip(codes, codes[1:], strict=False))
    assert same_block <= 2
    # Every symbol is used in every position (a counter would leave the first ones constant).
    for position in (0, 5, 10, 13):
        assert len({c[position] for c in codes}) == len(ALPHABET)


def test_format_groups_by_four():
    assert format_code("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-EFGH-JKMN",
        "abcd-efgh-jkmn",
        "ABCDEFGHJKMN",
        " abcd efgh jkmn ",
        "abcd_efgh_jkmn",
        "AbCd - EfGh - JkMn",
        "ab\tcd\nefghjkmn",
    ],
)
def test_normalise_accepts_case_spaces_and_separators(typed):
    assert normalise_code(typed) == "ABCD-EFGH-JKMN"


def test_normalise_reads_u_as_v():
    # U is left out of the alphabet because it is read as V; typed U means V.
    assert normalise_code("uvwx-yz23-4567") == "VVWX-YZ23-4567"


@pytest.mark.parametrize(
    "typed",
    [
        # 0/O and 1/I/L are in no code at all, so a code containing them is a typo, not a match.
        "ABCD-EFGH-JKM0",
        "ABCD-EFGH-JKMO",
        "ABCD-EFGH-JKM1",
        "ABCD-EFGH-JKMI",
        "ABCD-EFGH-JKML",
        "ABCD-EFGH-JKM",  # too short
        "ABCD-EFGH-JKMNP",  # too long
        "ABCD-EFGH-JKM!",
        "诉求-EFGH-JKMN",
        "",
        None,
    ],
)
def test_normalise_refuses_what_cannot_be_a_code(typed):
    assert normalise_code(typed) is None


def test_every_new_code_normalises_to_itself():
    for _ in range(100):
        code = new_tracking_code()
        assert normalise_code(code) == code
        assert normalise_code(code.lower().replace("-", " ")) == code


@pytest.mark.django_db
def test_look_up_by_tracking_code_as_a_person_types_it(world):
    appeal = new_appeal(world)
    typed = appeal.tracking_code.lower().replace("-", " ")
    assert selectors.appeal_by_tracking_code(typed).pk == appeal.pk
    with pytest.raises(NotFound) as info:
        selectors.appeal_by_tracking_code("ZZZZ-ZZZZ-ZZZZ")
    assert info.value.code == "unknown_tracking_code"
    with pytest.raises(NotFound):
        selectors.appeal_by_tracking_code("not a code")
