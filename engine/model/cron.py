"""Why a valid 5-field cron expression may still never fire.

croniter accepts `0 0 31 2 *` (day 31 of February) and only fails when asked for the
next time; a schedule saved with it would make the schedule endpoint fail and Prefect's
scheduler log an error on every loop. `never_fires_reason` answers, in words, why such
an expression has no next time, so validation can refuse it up front.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from croniter import CroniterBadDateError, croniter

# The most days each month can have (February: in leap years).
_MOST_DAYS = {month: calendar.monthrange(2000, month)[1] for month in range(1, 13)}


def never_fires_reason(cron: str) -> str | None:
    """None when `cron` (already known to be valid) fires at some time; else why it never does."""
    try:
        croniter(cron, datetime(2000, 1, 1)).get_next(datetime)
        return None
    except CroniterBadDateError:
        pass
    _, _, days, months, weekdays = croniter(cron).expanded
    if weekdays == ["*"] and "*" not in days:
        listed = [m for m in months if m != "*"] or list(range(1, 13))
        first_day = min(int(d) for d in days)
        short = [calendar.month_name[int(m)] for m in listed if first_day > _MOST_DAYS[int(m)]]
        if len(short) == len(listed):
            day_text = ("day " if len(days) == 1 else "days ") + ", ".join(str(d) for d in days)
            most = max(_MOST_DAYS[int(m)] for m in listed)
            return (f'"{cron}" never fires: {day_text} never comes in {", ".join(short)} '
                    f"(at most {most} days)")
    return f'"{cron}" never fires: no date matches it'
