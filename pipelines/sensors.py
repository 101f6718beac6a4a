"""The landing sensor: notices files that landed but are not loaded yet, and runs their day."""

import hashlib
import json
import time
from collections import defaultdict

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from journey_mining.columns import SOURCES
from journey_mining.errors import JourneyError
from pipelines.jobs import nightly_journeys
from pipelines.partitions import landing_days
from pipelines.resources import JourneysDatabase, LandingFolder

# A file still being copied into the landing folder is left alone until it has not changed for
# this long, so a run never reads half a file (writers that rename into place need no wait).
SETTLE_S = 60
# A tick must stay short; while a run writes the database the tick is skipped, the next one retries.
LOCK_TIMEOUT_S = 5


@sensor(job=nightly_journeys, minimum_interval_seconds=60,
        description=f"Every minute: runs the nightly job for each landing day with files not loaded yet (a file "
                    f"is taken once it has not changed for {SETTLE_S} s).")
def landing_files(context: SensorEvaluationContext, database: JourneysDatabase,
                  landing: LandingFolder) -> SensorResult | SkipReason:
    """Requests a run of each landing day with files not loaded yet.

    The cursor holds the files requested and not yet seen loaded, each by size and modification
    time: a request is not repeated while its run is queued, nor after it failed (a file over the
    quarantine threshold), until the file changes. Loaded files leave the cursor.
    """
    try:
        loaded = database.ingested_paths(lock_timeout_s=LOCK_TIMEOUT_S)
    except JourneyError as error:
        return SkipReason(f"database not readable now, next tick retries: {error}")
    requested = json.loads(context.cursor) if context.cursor else {}
    known_days = set(landing_days.get_partition_keys())
    settled_before = time.time() - SETTLE_S
    waiting: dict[str, str] = {}
    new_by_day: dict[str, list[str]] = defaultdict(list)
    for day in landing.days():
        if day not in known_days:
            context.log.warning(f"{landing.path}/{day}: not a landing day (those run from "
                                f"{landing_days.start:%Y-%m-%d} to today); not ingested")
            continue
        for source in SOURCES:
            for path in landing.files(day, source):
                stat = path.stat()
                if str(path) in loaded or stat.st_mtime > settled_before:
                    continue
                fingerprint = f"{stat.st_size}:{stat.st_mtime_ns}"
                waiting[str(path)] = fingerprint
                if requested.get(str(path)) != fingerprint:
                    new_by_day[day].append(f"{path}={fingerprint}")
    return SensorResult(
        run_requests=[RunRequest(partition_key=day, run_key=f"{day}:{_digest(files)}")
                      for day, files in sorted(new_by_day.items())],
        cursor=json.dumps(waiting, sort_keys=True),
    )


def _digest(files: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()[:16]
