"""Pure recurrence: wall-clock expansion across DST, moved and cancelled occurrences, bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from estaminet.agenda.recurrence import (
    Frequency,
    Override,
    Recurrence,
    Series,
    check_series,
    expand,
    local_to_utc,
    occurrence_at,
    rekey,
    series_in_range,
)
from estaminet.kernel.errors import BadInput, NotFound

BRUSSELS = ZoneInfo("Europe/Brussels")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(start: datetime, **rule: object) -> Series:
    recurrence = Recurrence(Frequency.WEEKLY, **rule)  # type: ignore[arg-type]
    return Series(start, timedelta(hours=3), recurrence)


def test_recurrence_weekly_stays_at_local_time_across_spring_change() -> None:
    # Friday 20:00 from 2026-03-20; clocks go forward on Sunday 2026-03-29.
    series = weekly(datetime(2026, 3, 20, 20, 0), count=3)
    found = expand(series, BRUSSELS, utc(2026, 3, 1), utc(2026, 4, 30))
    assert [o.local_start(BRUSSELS).strftime("%d %H:%M") for o in found] == [
        "20 20:00",
        "27 20:00",
        "03 20:00",
    ]
    assert [o.start.hour for o in found] == [19, 19, 18]  # UTC+1, then UTC+2


def test_recurrence_weekly_stays_at_local_time_across_autumn_change() -> None:
    series = weekly(datetime(2026, 10, 16, 20, 0), until=date(2026, 11, 6))
    found = expand(series, BRUSSELS, utc(2026, 10, 1), utc(2026, 11, 30))
    assert [o.local_start(BRUSSELS).hour for o in found] == [20] * 4
    assert [o.start.hour for o in found] == [18, 18, 19, 19]
    assert found[0].end - found[0].start == timedelta(hours=3)


def test_recurrence_moved_occurrence_appears_where_it_went() -> None:
    series = weekly(datetime(2026, 12, 4, 20, 0), count=4)
    moved = Series(
        series.start,
        series.duration,
        series.recurrence,
        {
            "20261211T2000": Override(start=datetime(2026, 12, 12, 18, 0)),
            "20261218T2000": Override(cancelled=True),
        },
    )
    found = expand(moved, BRUSSELS, utc(2026, 12, 1), utc(2027, 1, 31))
    assert [
        (o.key, o.local_start(BRUSSELS).strftime("%d %H"), o.moved, o.cancelled) for o in found
    ] == [
        ("20261204T2000", "04 20", False, False),
        ("20261211T2000", "12 18", True, False),
        ("20261218T2000", "18 20", False, True),
        ("20261225T2000", "25 20", False, False),
    ]
    # A window that holds only the new date still finds the moved occurrence.
    only = expand(moved, BRUSSELS, utc(2026, 12, 12), utc(2026, 12, 13))
    assert [o.key for o in only] == ["20261211T2000"]
    # ... and one holding only the old date does not.
    assert expand(moved, BRUSSELS, utc(2026, 12, 11, 12), utc(2026, 12, 11, 23)) == []


def test_recurrence_monthly_on_the_first_friday() -> None:
    series = Series(
        datetime(2026, 12, 4, 20, 0),
        timedelta(hours=2),
        Recurrence(Frequency.MONTHLY_WEEKDAY, count=3),
    )
    found = expand(series, BRUSSELS, utc(2026, 12, 1), utc(2027, 3, 1))
    assert [o.local_start(BRUSSELS).date() for o in found] == [
        date(2026, 12, 4),
        date(2027, 1, 1),
        date(2027, 2, 5),
    ]


def test_recurrence_monthly_on_a_date_and_every_two_weeks() -> None:
    monthly = Series(
        datetime(2026, 11, 15, 10, 0),
        timedelta(hours=1),
        Recurrence(Frequency.MONTHLY_DATE, count=3),
    )
    assert [
        o.local_start(BRUSSELS).day
        for o in expand(monthly, BRUSSELS, utc(2026, 11, 1), utc(2027, 2, 1))
    ] == [15] * 3
    biweekly = Series(
        datetime(2026, 11, 2, 19, 0), timedelta(hours=1), Recurrence(Frequency.BIWEEKLY, count=3)
    )
    days = [
        o.local_start(BRUSSELS).day
        for o in expand(biweekly, BRUSSELS, utc(2026, 11, 1), utc(2026, 12, 31))
    ]
    assert days == [2, 16, 30]


def test_recurrence_without_an_end_is_refused() -> None:
    with pytest.raises(BadInput) as refused:
        check_series(weekly(datetime(2026, 12, 4, 20, 0)))
    assert refused.value.code == "agenda/endless"


def test_recurrence_expansion_window_is_bounded() -> None:
    series = weekly(datetime(2026, 12, 4, 20, 0), count=200)
    with pytest.raises(BadInput) as refused:
        expand(series, BRUSSELS, utc(2026, 1, 1), utc(2030, 1, 1))
    assert refused.value.code == "agenda/window_too_large"
    assert len(expand(series, BRUSSELS, utc(2026, 12, 1), utc(2027, 3, 1))) == 13


def test_recurrence_end_before_start_is_refused() -> None:
    with pytest.raises(BadInput) as refused:
        check_series(Series(datetime(2026, 12, 4, 20, 0), timedelta(minutes=-30)))
    assert refused.value.code == "agenda/end_before_start"


def test_recurrence_nonexistent_local_time_is_refused() -> None:
    with pytest.raises(BadInput) as refused:
        local_to_utc(datetime(2026, 3, 29, 2, 30), BRUSSELS)
    assert refused.value.code == "agenda/nonexistent_time"


def test_recurrence_ambiguous_local_time_is_the_first_one() -> None:
    # 2026-10-25 02:30 happens twice in Brussels: the first is still summer time (UTC+2).
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), BRUSSELS) == utc(2026, 10, 25, 0, 30)


def test_recurrence_unknown_occurrence_is_refused() -> None:
    series = weekly(datetime(2026, 12, 4, 20, 0), count=2)
    assert occurrence_at(series, BRUSSELS, "20261211T2000").start == utc(2026, 12, 11, 19)
    for key in ("20261212T2000", "20261218T2000", "garbage"):
        with pytest.raises(NotFound):
            occurrence_at(series, BRUSSELS, key)


def test_recurrence_rekey_follows_each_date_to_its_new_time() -> None:
    old = weekly(datetime(2026, 11, 27, 20, 0), count=4)
    earlier = weekly(datetime(2026, 11, 27, 19, 30), count=4)
    keys = ["20261127T2000", "20261204T2000", "20261218T2000"]
    assert rekey(old, earlier, keys) == {
        "20261127T2000": "20261127T1930",
        "20261204T2000": "20261204T1930",
        "20261218T2000": "20261218T1930",
    }


def test_recurrence_rekey_drops_dates_the_new_rule_skips() -> None:
    old = weekly(datetime(2026, 11, 27, 20, 0), count=4)
    every_other = Series(
        datetime(2026, 11, 27, 20, 0), timedelta(hours=3), Recurrence(Frequency.BIWEEKLY, count=4)
    )
    shorter = weekly(datetime(2026, 11, 27, 20, 0), count=2)
    keys = ["20261127T2000", "20261204T2000", "20261211T2000", "20261218T2000"]
    assert rekey(old, every_other, keys) == {
        "20261127T2000": "20261127T2000",
        "20261204T2000": None,
        "20261211T2000": "20261211T2000",
        "20261218T2000": None,
    }
    assert [k for k, v in rekey(old, shorter, keys).items() if v is None] == keys[2:]


def test_recurrence_rekey_of_a_one_off_follows_it_to_any_day() -> None:
    once = Series(datetime(2026, 11, 27, 20, 0), timedelta(hours=2))
    moved = Series(datetime(2026, 12, 2, 18, 0), timedelta(hours=2))
    assert rekey(once, moved, ["20261127T2000"]) == {"20261127T2000": "20261202T1800"}
    # A one-off that becomes a series keeps its answers when the series has that day.
    series = weekly(datetime(2026, 11, 20, 19, 0), count=3)
    assert rekey(once, series, ["20261127T2000"]) == {"20261127T2000": "20261127T1900"}


@pytest.mark.parametrize(
    ("start", "duration", "rule"),
    [
        (datetime(1999, 12, 31, 20, 0), timedelta(hours=2), Recurrence()),
        (datetime(1, 1, 1, 20, 0), timedelta(hours=2), Recurrence()),
        (datetime(9999, 12, 31, 20, 0), timedelta(hours=2), Recurrence()),
        (datetime(2100, 12, 31, 23, 0), timedelta(hours=2), Recurrence()),
        (datetime(2100, 10, 1, 20, 0), timedelta(hours=2), Recurrence(Frequency.WEEKLY, count=20)),
        (
            datetime(2100, 10, 1, 20, 0),
            timedelta(hours=2),
            Recurrence(Frequency.WEEKLY, date(2101, 2, 1)),
        ),
    ],
)
def test_recurrence_dates_outside_the_range_are_refused(
    start: datetime, duration: timedelta, rule: Recurrence
) -> None:
    series = Series(start, duration, rule)
    with pytest.raises(BadInput) as refused:
        check_series(series)
    assert refused.value.code == "agenda/out_of_range"
    assert refused.value.params == {"first": "2000", "last": "2100"}
    assert not series_in_range(series)


def test_recurrence_range_edges_are_accepted() -> None:
    for series in (
        Series(datetime(2000, 1, 1, 0, 0), timedelta(hours=2)),
        Series(datetime(2100, 12, 31, 21, 0), timedelta(hours=3)),
        Series(
            datetime(2100, 10, 1, 20, 0), timedelta(hours=2), Recurrence(Frequency.WEEKLY, count=13)
        ),
    ):
        check_series(series)
        assert series_in_range(series)
    # A stored row can be anything: a count above the limit, a moved date beyond the range.
    assert not series_in_range(weekly(datetime(2026, 11, 27, 20, 0), count=100_000))
    moved = Series(
        datetime(2026, 11, 27, 20, 0),
        timedelta(hours=2),
        overrides={"20261127T2000": Override(start=datetime(9999, 12, 31, 23, 0))},
    )
    assert not series_in_range(moved)
