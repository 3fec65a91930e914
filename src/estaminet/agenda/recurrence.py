"""Pure recurrence: wall-clock local times in the venue's zone, expanded in bounded windows.

An event is a *series*: a first start (a naive local time in the venue's zone),
a duration, an optional rule (weekly, every two weeks, monthly on a date or on
the n-th weekday) with an end (a date or a count), and overrides of single
occurrences (moved or cancelled), keyed by the occurrence's original local
start — RFC 5545's RRULE, EXDATE and RECURRENCE-ID. Expansion uses
``dateutil.rrule`` on local times, so a weekly 20:00 stays at 20:00 across the
changes to and from summer time; each local time is then made aware with
``zoneinfo``.

No I/O, no clock: windows and zones are arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

from estaminet.kernel.errors import BadInput, NotFound
from estaminet.kernel.i18n import N_

__all__ = [
    "FIRST_YEAR",
    "KEY_FORMAT",
    "LAST_YEAR",
    "MAX_COUNT",
    "MAX_SPAN_DAYS",
    "MAX_WINDOW_DAYS",
    "Frequency",
    "Occurrence",
    "Override",
    "Recurrence",
    "Series",
    "check_range",
    "check_series",
    "expand",
    "first_and_last",
    "in_range",
    "key_of",
    "local_day_bounds",
    "local_to_utc",
    "nth_weekday",
    "occurrence_at",
    "parse_key",
    "rekey",
    "series_in_range",
]

KEY_FORMAT = "%Y%m%dT%H%M"
"""An occurrence's key: its original local start, e.g. ``20261204T2000``."""
MAX_COUNT = 200
"""A series repeats at most this many times."""
MAX_SPAN_DAYS = 3 * 366
"""A series ends at most about three years after its first start."""
MAX_WINDOW_DAYS = 120
"""An expansion window spans at most this many days (a month view needs six weeks)."""
FIRST_YEAR = 2000
LAST_YEAR = 2100
"""The agenda's range: every date of every event lies in these years (the form, the month
view and every page and feed share this rule; a date outside is refused with a message)."""
_RANGE_START = datetime(FIRST_YEAR, 1, 1)
_RANGE_END = datetime(LAST_YEAR + 1, 1, 1)


class Frequency(StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY_DATE = "monthly_date"
    MONTHLY_WEEKDAY = "monthly_weekday"


@dataclass(frozen=True)
class Recurrence:
    """How a series repeats: a frequency and an end (``until`` a local date, or ``count``)."""

    frequency: Frequency = Frequency.NONE
    until: date | None = None
    count: int | None = None


@dataclass(frozen=True)
class Override:
    """One occurrence changed: cancelled, or moved to another local start and duration."""

    cancelled: bool = False
    start: datetime | None = None
    duration: timedelta | None = None


@dataclass(frozen=True)
class Series:
    start: datetime
    """The first start, naive, local to the venue's zone."""
    duration: timedelta
    recurrence: Recurrence = field(default_factory=Recurrence)
    overrides: Mapping[str, Override] = field(default_factory=dict)


@dataclass(frozen=True)
class Occurrence:
    key: str
    start: datetime
    """Aware, UTC."""
    end: datetime
    cancelled: bool = False
    moved: bool = False

    def local_start(self, zone: ZoneInfo) -> datetime:
        return self.start.astimezone(zone)


def key_of(local_start: datetime) -> str:
    return local_start.strftime(KEY_FORMAT)


def parse_key(key: str) -> datetime:
    """The original local start of an occurrence key; :class:`NotFound` when malformed."""
    try:
        if len(key) != 13:
            raise ValueError(key)
        return datetime.strptime(key, KEY_FORMAT)
    except ValueError:
        raise NotFound("agenda/unknown_occurrence", N_("This date is not in the event.")) from None


def local_to_utc(local: datetime, zone: ZoneInfo, *, strict: bool = True) -> datetime:
    """A naive local time made aware and converted to UTC.

    ``strict``: a time that does not exist (the hour skipped when clocks go
    forward) is refused with a clear message. An ambiguous time (the hour
    repeated when clocks go back) always means its *first* occurrence (summer
    time), as ``fold=0`` does. Not strict (occurrences of a series): a
    skipped time uses the offset before the gap, as RFC 5545 says.
    """
    aware = local.replace(tzinfo=zone, fold=0)
    if strict:
        back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if back != local.replace(tzinfo=None, fold=0):
            raise BadInput(
                "agenda/nonexistent_time",
                N_(
                    "%(time)s does not exist on that day: the clocks go forward. "
                    "Choose another time."
                ),
                time=local.strftime("%H:%M"),
            )
    return aware.astimezone(UTC)


def local_day_bounds(day: date, zone: ZoneInfo, days: int = 1) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight on ``day`` and ``days`` later."""
    start = datetime.combine(day, datetime.min.time())
    return (
        local_to_utc(start, zone, strict=False),
        local_to_utc(start + timedelta(days=days), zone, strict=False),
    )


def in_range(local: datetime) -> bool:
    """Whether a local time lies in the agenda's years (:data:`FIRST_YEAR`…:data:`LAST_YEAR`)."""
    return _RANGE_START <= local.replace(tzinfo=None) < _RANGE_END


def check_range(start: datetime, duration: timedelta) -> None:
    """Refuse a date outside the agenda's years (raises :class:`BadInput`)."""
    if not (in_range(start) and start.replace(tzinfo=None) + duration <= _RANGE_END):
        raise BadInput(
            "agenda/out_of_range",
            N_("Choose dates between the years %(first)s and %(last)s."),
            first=str(FIRST_YEAR),
            last=str(LAST_YEAR),
        )


def series_in_range(series: Series) -> bool:
    """Whether every date of a stored series lies in the agenda's years.

    The form refuses any other; a row written before the rule (or by hand) may not
    follow it, and must then be skipped by feeds rather than break them.
    """
    rule = series.recurrence
    if rule.count is not None and not 1 <= rule.count <= MAX_COUNT:
        return False
    if rule.until is not None and not FIRST_YEAR <= rule.until.year <= LAST_YEAR:
        return False
    try:
        check_range(series.start, series.duration)
        for override in series.overrides.values():
            if override.start is not None:
                check_range(override.start, override.duration or series.duration)
        if rule.frequency is not Frequency.NONE:
            check_range(first_and_last(series)[1], series.duration)
    except (BadInput, OverflowError, ValueError):
        return False
    return True


def check_series(series: Series) -> None:
    """Refuse a series that cannot be expanded sensibly (raises :class:`BadInput`)."""
    if series.duration <= timedelta(0):
        raise BadInput("agenda/end_before_start", N_("The end must come after the start."))
    if series.duration > timedelta(days=14):
        raise BadInput("agenda/too_long", N_("An event lasts at most two weeks."))
    check_range(series.start, series.duration)
    rule = series.recurrence
    if rule.frequency is Frequency.NONE:
        return
    if rule.until is None and rule.count is None:
        raise BadInput(
            "agenda/endless",
            N_("Choose when the repetition ends: a last date or a number of times."),
        )
    if rule.count is not None and not 1 <= rule.count <= MAX_COUNT:
        raise BadInput(
            "agenda/bad_count",
            N_("An event repeats from 1 to %(max)s times."),
            max=MAX_COUNT,
        )
    if rule.until is not None:
        if rule.until < series.start.date():
            raise BadInput(
                "agenda/until_before_start",
                N_("The repetition must end after the first date."),
            )
        if (rule.until - series.start.date()).days > MAX_SPAN_DAYS:
            raise BadInput(
                "agenda/until_too_far", N_("A repetition ends at most three years later.")
            )
    last = first_and_last(series)[1]
    check_range(last, series.duration)


def nth_weekday(day: date) -> int:
    """Which weekday of its month ``day`` is: 1…4, or -1 for the fifth (the last)."""
    nth = (day.day - 1) // 7 + 1
    return -1 if nth == 5 else nth


def _rule(series: Series) -> rrule | None:
    rule = series.recurrence
    if rule.frequency is Frequency.NONE:
        return None
    until = None
    if rule.until is not None:
        until = datetime.combine(rule.until, time(23, 59, 59))
    common: dict[str, object] = {"dtstart": series.start, "until": until, "count": rule.count}
    if rule.count is None:
        common.pop("count")
    if until is None:
        common.pop("until")
    start = series.start
    if rule.frequency is Frequency.WEEKLY:
        return rrule(WEEKLY, **common)  # type: ignore[arg-type]
    if rule.frequency is Frequency.BIWEEKLY:
        return rrule(WEEKLY, interval=2, **common)  # type: ignore[arg-type]
    if rule.frequency is Frequency.MONTHLY_DATE:
        return rrule(MONTHLY, bymonthday=start.day, **common)  # type: ignore[arg-type]
    return rrule(
        MONTHLY,
        byweekday=weekday(start.weekday(), nth_weekday(start.date())),
        **common,  # type: ignore[arg-type]
    )


def original_starts(series: Series, after: datetime, before: datetime) -> Iterator[datetime]:
    """The rule's local starts in ``[after, before)`` (naive local times), in order."""
    rule = _rule(series)
    if rule is None:
        if after <= series.start < before:
            yield series.start
        return
    for start in rule.xafter(after, inc=True):
        if start >= before:
            return
        yield start


def is_original(series: Series, local_start: datetime) -> bool:
    """Whether ``local_start`` is an occurrence of the series' rule."""
    return any(
        start == local_start
        for start in original_starts(series, local_start, local_start + timedelta(minutes=1))
    )


def _occurrence(series: Series, original: datetime, zone: ZoneInfo) -> Occurrence:
    key = key_of(original)
    override = series.overrides.get(key)
    start, duration, moved, cancelled = original, series.duration, False, False
    if override is not None:
        cancelled = override.cancelled
        if override.start is not None:
            start, moved = override.start, True
        if override.duration is not None:
            duration = override.duration
    start_utc = local_to_utc(start, zone, strict=False)
    # The end is wall-clock too: 20:00 → 23:00 lasts three local hours, whatever the offset.
    end_utc = local_to_utc(start + duration, zone, strict=False)
    return Occurrence(key, start_utc, end_utc, cancelled, moved)


def expand(series: Series, zone: ZoneInfo, after: datetime, before: datetime) -> list[Occurrence]:
    """The occurrences overlapping ``[after, before)`` (aware instants), sorted by start.

    The window is always bounded (at most :data:`MAX_WINDOW_DAYS`): an endless
    expansion is impossible by construction. Moved occurrences appear where
    they were moved to; cancelled ones are kept, marked cancelled.
    """
    if before <= after:
        return []
    if before - after > timedelta(days=MAX_WINDOW_DAYS):
        raise BadInput("agenda/window_too_large", N_("Ask for at most four months at a time."))
    # Local bounds, widened by the duration (an event that began before the window) and a
    # day (offsets): the exact test is made on UTC instants below.
    local_after = after.astimezone(zone).replace(tzinfo=None) - series.duration - timedelta(days=1)
    local_before = before.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    found: dict[str, Occurrence] = {}
    for original in original_starts(series, local_after, local_before):
        occurrence = _occurrence(series, original, zone)
        if occurrence.start < before and occurrence.end > after:
            found[occurrence.key] = occurrence
        else:
            found.pop(occurrence.key, None)
    for key, override in series.overrides.items():
        if key in found or override.start is None:
            continue
        original = parse_key(key)
        if not is_original(series, original):
            continue
        occurrence = _occurrence(series, original, zone)
        if occurrence.start < before and occurrence.end > after:
            found[key] = occurrence
    return sorted(found.values(), key=lambda o: (o.start, o.key))


def occurrence_at(series: Series, zone: ZoneInfo, key: str) -> Occurrence:
    """The occurrence with this key (its original local start); :class:`NotFound` if none."""
    original = parse_key(key)
    if not is_original(series, original):
        raise NotFound("agenda/unknown_occurrence", N_("This date is not in the event."))
    return _occurrence(series, original, zone)


def first_and_last(series: Series) -> tuple[datetime, datetime]:
    """The first and the last original local starts (the rule is bounded: see check_series)."""
    rule = _rule(series)
    last = series.start
    if rule is not None:
        for last in rule:  # noqa: B007 - bounded by check_series (count or until)
            pass
    return series.start, last


def rekey(old: Series, new: Series, keys: Iterable[str]) -> dict[str, str | None]:
    """Where each of ``keys`` (occurrences of ``old``) lands once the series becomes ``new``.

    Two one-off events: the one date becomes the other, whatever the day (its
    answers follow, as when a date is moved). Otherwise a date keeps its
    answers and override when ``new`` has an occurrence on the same local day
    (the time may differ), and is dropped (``None``) when it has none.
    """
    single = (
        old.recurrence.frequency is Frequency.NONE and new.recurrence.frequency is Frequency.NONE
    )
    found: dict[str, str | None] = {}
    for key in keys:
        if single:
            found[key] = key_of(new.start)
            continue
        day = datetime.combine(parse_key(key).date(), time(0, 0))
        same_day = next(original_starts(new, day, day + timedelta(days=1)), None)
        found[key] = None if same_day is None else key_of(same_day)
    return found
