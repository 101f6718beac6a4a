"""The nightly schedule: at 02:00 UTC, yesterday's landing day, then persons and the mined journeys."""

from datetime import timedelta

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from pipelines.jobs import nightly_journeys


# Written out rather than built with build_schedule_from_partitioned_job: that targets the last
# partition, which is today's (landing_days has end_offset=1), while the night is for the day just over.
@schedule(job=nightly_journeys, cron_schedule="0 2 * * *", execution_timezone="UTC",
          description="Every night at 02:00 UTC: ingest the landing day that ended at midnight, update persons, "
                      "mine every journey definition.")
def nightly(context: ScheduleEvaluationContext) -> RunRequest:
    """Ingest the day that ended at midnight, update persons, mine every journey definition."""
    day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return RunRequest(partition_key=day, run_key=day)
