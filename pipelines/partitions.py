"""The landing days: one partition per day a daily export lands, from the first one."""

import os
from datetime import date

from dagster import DailyPartitionsDefinition

from pipelines.resources import LandingFolder

# Before any export has landed, and with no JOURNEYS_FIRST_DAY, the partitions start here.
FALLBACK_FIRST_DAY = "2026-08-01"


def first_landing_day() -> str:
    """JOURNEYS_FIRST_DAY, else the oldest day folder of the landing folder, else FALLBACK_FIRST_DAY.

    Never the calendar: a start taken from date.today() would move the partitions with it; the first
    landing day moves only when an older export is added.
    """
    if given := os.environ.get("JOURNEYS_FIRST_DAY"):
        try:
            return date.fromisoformat(given).isoformat()
        except ValueError:
            raise ValueError(f"JOURNEYS_FIRST_DAY={given!r} is not a day (YYYY-MM-DD)") from None
    days = LandingFolder.from_environment().days()
    return days[0] if days else FALLBACK_FIRST_DAY


# end_offset=1 makes today's partition exist, so files landing during the day can be ingested as
# soon as the sensor notices them; the nightly schedule still targets the previous, complete day.
landing_days = DailyPartitionsDefinition(start_date=first_landing_day(), timezone="UTC", end_offset=1)
