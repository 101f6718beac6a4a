"""`journeys demo`: the nightly Dagster job, day by day, on the sample exports; then what was loaded,
the stage KPIs of the purchase journey and, last, the path of its journey map (report.html).

Everything goes into a working folder (default journeys_out/): the database (unless JOURNEYS_DB
names another), the exports of each journey definition and a persistent Dagster instance, so
`make dagster` shows the demo's runs afterwards.
"""

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance, ExecuteInProcessResult

from journey_mining import checks, mining
from journey_mining.errors import JourneyError
from pipelines import formats
from pipelines.definitions import defs
from pipelines.jobs import nightly_journeys
from pipelines.partitions import landing_days
from pipelines.resources import BUNDLED_LANDING, JourneysDatabase, LandingFolder, OutputFolder

# Dagster's console log is for operators; the demo says what happens in its own words. Every event
# is still recorded in the instance, where the Dagster UI shows it.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
INSTANCE_SETTINGS = Path(__file__).resolve().parent / "dagster.yaml"
REPOSITORY = Path(__file__).resolve().parent.parent
DAGSTER_UI = "http://localhost:3000"  # where `dagster dev` serves its UI unless told another port
# The journey whose stage KPIs close the demo; with JOURNEYS_DEFINITIONS naming a folder without
# it, the first definition by name.
SHOWN_JOURNEY = "purchase"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="journeys_out", help="working folder (default journeys_out/)")
    parser.add_argument("--landing", help="landing folder of daily exports (default: the bundled samples)")
    args = parser.parse_args(argv)
    try:
        return run_demo(Path(args.out), Path(args.landing) if args.landing else None)
    except JourneyError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 1


def run_demo(out: Path, landing: Path | None = None) -> int:
    """Run the nightly job for every landing day, oldest first, then print the totals and the stage KPIs
    of one journey; 0 when done.

    A day whose run fails stops the demo with a JourneyError naming the day and the reason.
    """
    database_file = Path(os.environ.get("JOURNEYS_DB") or out / "journeys.duckdb")
    database = JourneysDatabase(path=str(database_file.resolve()))
    folder = LandingFolder(path=str((landing or BUNDLED_LANDING).resolve()))
    output = OutputFolder(path=str(out.resolve()))
    partition_keys = set(landing_days.get_partition_keys())
    days = [day for day in folder.days() if day in partition_keys]
    if not days:
        raise JourneyError(f"{folder.path}: no landing day folders (YYYY-MM-DD, from "
                           f"{landing_days.start:%Y-%m-%d}) to run the nightly job on")
    home = (out / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        # So `dagster dev` on this home queues runs one at a time; settings made there are kept.
        shutil.copyfile(INSTANCE_SETTINGS, home / "dagster.yaml")
    job = defs.resolve_job_def(nightly_journeys.name)
    _progress(f"Running the Dagster job {job.name} for {_counted(len(days), 'landing day')} "
              f"from {folder.path}")
    with DagsterInstance.from_config(str(home)) as instance:
        for day in days:
            result = job.execute_in_process(
                instance=instance, partition_key=day, run_config=QUIET, raise_on_error=False,
                resources={"database": database, "landing": folder, "output": output})
            if not result.success:
                raise JourneyError(f"{day}: {_failure(result)} (Dagster run {result.run_id} in {home})")
            _progress(_day_line(day, result))
    exported = _exports(result)
    with database.connection(read_only=True) as con:
        summary = checks.load_summary(con)
        lines = _summary_lines(summary, database.path, home, output)
        if exported:
            shown = SHOWN_JOURNEY if SHOWN_JOURNEY in exported else min(exported)
            folder, _ = exported[shown]
            lines += _stage_lines(shown, mining.event_counts(con, shown), checks.stage_kpis(con, shown), folder)
            lines.append(_journey_maps(result)[shown])
            lines += _removal_lines(shown, checks.strongest_touchpoints(con, shown))
    print("\n".join(lines))
    return 0


def _day_line(day: str, result: ExecuteInProcessResult) -> str:
    (loaded_day,) = result.asset_materializations_for_node("events")
    (rebuilt,) = result.asset_materializations_for_node("persons")
    counts = {name: value.value for name, value in loaded_day.metadata.items()}
    before = f" ({counts['files loaded before']} loaded before)" if counts["files loaded before"] else ""
    warnings = [f"; warning: {evaluation.description}" for evaluation in result.get_asset_check_evaluations()
                if not evaluation.passed]
    mined = "".join(f"; {name}: {_counted(journeys, 'journey')}"
                    for name, (_, journeys) in sorted(_exports(result).items()))
    return (f"{day}: {_counted(counts['files'], 'file')}{before}, {_counted(counts['read'], 'row')} read: "
            f"{counts['loaded']:,} loaded, {_counted(counts['duplicates'], 'duplicate')}, "
            f"{counts['quarantined']:,} quarantined; "
            f"{_counted(rebuilt.metadata['dagster/row_count'].value, 'person')} so far" + mined
            + "".join(warnings))


def _exports(result: ExecuteInProcessResult) -> dict[str, tuple[str, int]]:
    """The output folder and journeys of each definition the run exported, by definition name."""
    exported = {}
    for event in result.get_asset_materialization_events():
        *name, asset = event.asset_key.path
        if asset == "exports":
            metadata = event.materialization.metadata
            exported["/".join(name)] = (metadata["path"].value, metadata["journeys"].value)
    return exported


def _journey_maps(result: ExecuteInProcessResult) -> dict[str, str]:
    """The path of each definition's report.html the run wrote, by definition name."""
    return {"/".join(event.asset_key.path[:-1]): event.materialization.metadata["path"].value
            for event in result.get_asset_materialization_events() if event.asset_key.path[-1] == "report"}


def _counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _failure(result: ExecuteInProcessResult) -> str:
    """Why a run failed, in one line: the blocking checks that failed, or the error a step raised."""
    reasons = [f"check {evaluation.check_name} of {evaluation.asset_key.to_user_string()} failed: "
               f"{evaluation.description}"
               for evaluation in result.get_asset_check_evaluations()
               if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR]
    for event in result.all_events:
        # A step's own exception is the cause; a failed blocking check's step has none (listed above).
        if event.event_type != DagsterEventType.STEP_FAILURE:
            continue
        if cause := event.step_failure_data.error.cause:
            message = cause.message.split(": ", 1)[-1].strip().splitlines()[0]
            own_words = cause.cls_name == JourneyError.__name__  # written for the person running the job
            reasons.append(message if own_words else f"{cause.cls_name}: {message}")
    return "; ".join(reasons) or "the run failed"


def _summary_lines(summary: checks.LoadSummary, database: str, home: Path, output: OutputFolder) -> list[str]:
    oversize = (f"  ({', '.join(map(str, summary.oversize_components))} identifiers; kept apart, not merged)"
                if summary.oversize_components else "")
    return [
        f"Loaded into {database}:",
        f"  files                {summary.files:>12,}",
        f"  events read          {summary.read:>12,}",
        f"    loaded             {summary.loaded:>12,}",
        f"    duplicates         {summary.duplicates:>12,}",
        f"    quarantined        {summary.quarantined:>12,}",
        f"  persons              {summary.persons:>12,}  (from {summary.identifiers:,} identifiers)",
        f"  oversize components  {len(summary.oversize_components):>12,}{oversize}",
        f"The runs in Dagster's UI: {_dagster_command(database, home, output)}, then open {DAGSTER_UI}",
    ]


def _dagster_command(database: str, home: Path, output: OutputFolder) -> str:
    """What opens Dagster's UI on this run's instance: `make dagster` for the demo's own folders, else the
    variables and the environment's own `dagster` (which need not be on PATH)."""
    made_by_make = REPOSITORY / "journeys_out"
    if (home, Path(database), Path(output.path)) == (made_by_make / "dagster_home", made_by_make / "journeys.duckdb",
                                                     made_by_make):
        return "make dagster"
    return (f"DAGSTER_HOME={home} JOURNEYS_DB={database} JOURNEYS_OUT={output.path} "
            f"{Path(sys.executable).parent / 'dagster'} dev -m pipelines.definitions")


def _stage_lines(journey: str, counts: mining.EventCounts, stages: tuple[checks.StageKpi, ...],
                 folder: str) -> list[str]:
    """The stage KPIs as an aligned table (stage names left, numbers right), then the output folder."""
    rows = [formats.STAGE_COLUMNS, *formats.stage_rows(stages)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(formats.STAGE_COLUMNS))]
    table = ["  " + "  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                              for column, (cell, width) in enumerate(zip(row, widths))) for row in rows]
    return [
        f"Stage KPIs of the {journey} journey ({_counted(counts.journeys, 'journey')} of "
        f"{_counted(counts.persons, 'person')}, {counts.converted:,} converted):",
        *table,
        f"The {journey} journey's files: {folder}",
        f"The {journey} journey's map:",
    ]


def _removal_lines(journey: str, strongest: list[checks.RemovalEffect]) -> list[str]:
    """The touchpoints that carry most of the journey's conversions, by the twin's removal effect."""
    if not strongest:
        return []
    width = max(len(effect.touchpoint) for effect in strongest)
    return [f"The {journey} journey's top {len(strongest)} touchpoints by removal effect (the conversions lost "
            "without them; attribution.csv):",
            *(f"  {effect.touchpoint:<{width}}  {100 * effect.removal_effect:5.1f} %"
              + (f"  (95 % interval {100 * effect.low:.1f} to {100 * effect.high:.1f} %)"
                 if effect.low is not None and effect.high is not None else "")
              for effect in strongest)]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
