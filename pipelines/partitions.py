"""The landing days: one partition per day a daily export lands, from a fixed first day."""

from dagster import DailyPartitionsDefinition

# A fixed first day: a start taken from the calendar (date.today()) would move the partitions with it.
FIRST_LANDING_DAY = "2026-08-01"

# end_offset=1 makes today's partition exist, so files landing during the day can be ingested as
# soon as the sensor notices them; the nightly schedule still targets the previous, complete day.
landing_days = DailyPartitionsDefinition(start_date=FIRST_LANDING_DAY, timezone="UTC", end_offset=1)
