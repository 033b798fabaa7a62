"""EventBridge `cron(...)` expressions: six fields, UTC, `?` in day-of-month or day-of-week, Sunday = 1.

Small enough to own rather than pin a cron library whose five-field syntax and Sunday = 0 would need converting
anyway. `L`, `W` and `#` are rejected loudly instead of being approximated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_MONTHS = {
    m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
}
_DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


class CronError(ValueError):
    pass


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """The set of allowed values, or None for `?` (no constraint from this field)."""
    if text == "?":
        return None
    values: set[int] = set()
    for part in text.split(","):
        if any(c in part for c in "LW#"):
            raise CronError(f"{text}: L, W and # are not supported by the local runtime")
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise CronError(f"{text}: step must be positive")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(base, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise CronError(f"{text}: out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    try:
        return int(text)
    except ValueError:
        raise CronError(f"{text}: not a number") from None


@dataclass(frozen=True)
class CronSpec:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 1 = Sunday, as EventBridge counts
    years: frozenset[int]

    @classmethod
    def parse(cls, text: str) -> CronSpec:
        parts = text.split()
        if len(parts) != 6:
            raise CronError(f"cron({text}): EventBridge cron has six fields (min hour dom month dow year)")
        days = _field(parts[2], 1, 31)
        weekdays = _field(parts[4], 1, 7, _DAYS)
        if (days is None) == (weekdays is None):
            raise CronError(f"cron({text}): exactly one of day-of-month and day-of-week must be '?'")
        return cls(
            minutes=_field(parts[0], 0, 59) or frozenset(),
            hours=_field(parts[1], 0, 23) or frozenset(),
            days=days,
            months=_field(parts[3], 1, 12, _MONTHS) or frozenset(),
            weekdays=weekdays,
            years=_field(parts[5], 1970, 2199) or frozenset(),
        )

    def _day_matches(self, day: dt.date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days is not None:
            return day.day in self.days
        assert self.weekdays is not None
        return (day.isoweekday() % 7) + 1 in self.weekdays  # isoweekday: Monday 1 .. Sunday 7

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first firing time strictly after `moment` (UTC), or None if the expression never fires again."""
        moment = moment.astimezone(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = moment.date()
        last = dt.date(max(self.years), 12, 31)
        while day <= last:
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)
                        if candidate >= moment:
                            return candidate
            day += dt.timedelta(days=1)
        return None
