"""The date parser of imports: the mixed formats of real exports, naive times in the given zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from suqiu.imports.dates import DateError, parse_when

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2019/1/5 10:21:44", datetime(2019, 1, 5, 10, 21, 44)),
        ("2019/12/30 9:05:07", datetime(2019, 12, 30, 9, 5, 7)),
        ("2019-01-05 10:21", datetime(2019, 1, 5, 10, 21)),
        ("2019-01-05", datetime(2019, 1, 5)),
        ("2019-08-01 00:00:00", datetime(2019, 8, 1)),
        ("2019-01-05T10:21:44.000", datetime(2019, 1, 5, 10, 21, 44)),
        ("2019-01-05T10:21:44.123456789", datetime(2019, 1, 5, 10, 21, 44, 123456)),
        ("01/05/2019 10:21:44 AM", datetime(2019, 1, 5, 10, 21, 44)),
        ("01/05/2019 12:21:44 AM", datetime(2019, 1, 5, 0, 21, 44)),
        ("01/05/2019 12:21:44 PM", datetime(2019, 1, 5, 12, 21, 44)),
        ("12/31/2017 11:59:58 PM", datetime(2017, 12, 31, 23, 59, 58)),
        ("1/5/2019 10:21", datetime(2019, 1, 5, 10, 21)),
        ("2019年1月5日 10:21", datetime(2019, 1, 5, 10, 21)),
        ("2019年1月5日", datetime(2019, 1, 5)),
        ("20190105", datetime(2019, 1, 5)),
        ("43470.5", datetime(2019, 1, 5, 12, 0)),  # Excel serial day number
        ("  2019/1/5 10:21:44  ", datetime(2019, 1, 5, 10, 21, 44)),
    ],
)
def test_naive_formats_are_local_times_of_the_zone(text, expected):
    assert parse_when(text, tz=SH) == expected.replace(tzinfo=SH)


def test_a_zone_in_the_text_is_kept():
    got = parse_when("2016-07-13 15:11:07+00:00", tz=SH)
    assert got == datetime(2016, 7, 13, 15, 11, 7, tzinfo=UTC)
    assert parse_when("2016-07-13T15:11:07Z", tz=SH) == got
    assert parse_when("2016-07-13 23:11:07+0800", tz=NY) == got


def test_us_times_in_the_city_zone_follow_daylight_saving():
    summer = parse_when("07/01/2023 09:00:00 AM", tz=NY)
    winter = parse_when("01/01/2023 09:00:00 AM", tz=NY)
    assert summer.utcoffset().total_seconds() == -4 * 3600
    assert winter.utcoffset().total_seconds() == -5 * 3600


def test_dayfirst_reads_day_month_year():
    assert parse_when("05/01/2019", tz=SH, dayfirst=True) == datetime(2019, 1, 5, tzinfo=SH)
    assert parse_when("05/01/2019", tz=SH) == datetime(2019, 5, 1, tzinfo=SH)


def test_custom_formats_come_first():
    got = parse_when("2019年01月05日 10时21分", tz=SH, formats=("%Y年%m月%d日 %H时%M分",))
    assert got == datetime(2019, 1, 5, 10, 21, tzinfo=SH)


def test_spreadsheet_cells():
    assert parse_when(datetime(2019, 1, 5, 10, 21), tz=SH) == datetime(
        2019, 1, 5, 10, 21, tzinfo=SH
    )
    assert parse_when(date(2019, 1, 5), tz=SH) == datetime(2019, 1, 5, tzinfo=SH)
    assert parse_when(43470.25, tz=SH) == datetime(2019, 1, 5, 6, 0, tzinfo=SH)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2019-02-30",
        "2019/13/01 10:00",
        "13/45/2019",
        "25:00",
        "0",
        "1e9",
        "01/05/2019 13:00:00 PM",
        True,
    ],
)
def test_nonsense_is_a_date_error(text):
    with pytest.raises(DateError):
        parse_when(text, tz=SH)


def test_ignore_offset_reads_the_clock_time_in_the_zone():
    la = ZoneInfo("America/Los_Angeles")
    stamp = "2016-07-13 15:11:07+00:00"
    assert parse_when(stamp, tz=la) == datetime(2016, 7, 13, 15, 11, 7, tzinfo=UTC)
    assert parse_when(stamp, tz=la, ignore_offset=True) == datetime(
        2016, 7, 13, 15, 11, 7, tzinfo=la
    )
    # winter: Pacific standard time, 8 hours behind UTC
    assert parse_when("2016-01-13 09:00:00+00:00", tz=la, ignore_offset=True).utcoffset() == (
        timedelta(hours=-8)
    )


@pytest.mark.parametrize("value", ["2019", 2019, 2019.0])
def test_a_year_alone_is_not_an_excel_serial(value):
    with pytest.raises(DateError, match="a year alone is not a date"):
        parse_when(value, tz=UTC)
    # A serial of a real history date still reads.
    assert parse_when("43470.5", tz=UTC) == datetime(2019, 1, 5, 12, tzinfo=UTC)
