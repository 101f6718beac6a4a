"""An analyst's questions to mined journeys, as tables: the assumed map beside the observed one, the pain
points, and the stage KPIs for a spreadsheet. Made for notebooks; every figure comes from DuckDB SQL."""

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.csv as pa_csv

from journey_mining import db, definition, exports, identity, ingest, mining, run, sql, twin
from journey_mining.columns import SOURCES
from journey_mining.errors import JourneyError, UsageError


def mine_landing(landing: Path, definitions: list[Path], out: Path, database: Path) -> dict[str, dict]:
    """Ingest every day folder of `landing` (`<YYYY-MM-DD>/{clickstream,crm}/`, oldest first, one run
    per day and source, as the nightly job does), rebuild persons, and mine each definition into
    `out/<name>/`; the run summaries (summary.json) by definition name.

    Files loaded before are known by their content and not loaded again, so a rerun on the same
    database only mines again.
    """
    journeys = definition.load_all(definitions)  # all valid before any work
    days = ingest.landing_days(landing)
    if not days:
        raise JourneyError(f"{landing}: no landing day folders (YYYY-MM-DD) to ingest")
    con = db.connect(database)
    try:
        for day in days:
            for source in SOURCES:
                if (day / source).is_dir():
                    ingest.ingest(con, source, [day / source])
        identity.build_persons(con)
        return {journey.name: run.mine_definition(con, journey, out) for journey in journeys}
    finally:
        con.close()


def mined_table(con: duckdb.DuckDBPyConnection, definition_name: str, table: str) -> pd.DataFrame:
    """One of the definition's exported tables (exports.CSV_TABLES: stage_kpis, deviations, conformance,
    …) with the rows and columns of its CSV file, text as stored (without the spreadsheet quote)."""
    if table not in exports.CSV_TABLES:
        raise UsageError(f"unknown table {table!r}: expected one of {', '.join(exports.CSV_TABLES)}")
    return sql.arrow(con, f"exports/{table}", {"definition": definition_name}).to_pandas()


def assumed_vs_observed(con: duckdb.DuckDBPyConnection, definition_name: str) -> pd.DataFrame:
    """The assumed journey beside the observed one: one row per transition source → target that the
    assumed journey has, that journeys took, or both; most taken first, assumed ones nobody took last.

    - `source_stage`, `target_stage`: the touchpoints' stages (empty for `(start)` and `(end)`).
    - `assumed`: the assumed journey has it: two different touchpoints in the same or the next stage,
      or a pair listed in `allowed` (SPEC section 5).
    - `kind`: the conformance kind of a transition taken (expected, skip, backward, entry), or
      `not_taken` for an assumed transition no journey took.
    - `transitions`: times it was taken, a journey counting each time; `journeys`: journeys that took
      it at least once; `share`: those journeys over all the definition's journeys.
    """
    return sql.arrow(con, "exports/assumed_vs_observed", {"definition": definition_name}).to_pandas()


def pain_points(con: duckdb.DuckDBPyConnection, definition_name: str, top: int = 5) -> pd.DataFrame:
    """The `top` touchpoints where most journeys that did not convert end, most exits first, ties by
    touchpoint name; touchpoints nobody left the journey at are not pain points and are not listed.

    - `exits`: journeys that did not convert and whose last step is the touchpoint.
    - `share_of_exits`: those journeys over all the definition's journeys that did not convert.
    - `journeys`: journeys with the touchpoint in their path; `exit_rate` = `exits / journeys`.
    - `mean_score`: the mean of its events' scores on the scale from -1 to 1 (empty when none scored).

    Which stage journeys are lost at is the stage KPIs' `journeys_dropped` and `drop_off_rate`.
    """
    return sql.arrow(con, "exports/pain_points", {"definition": definition_name, "top": top}).to_pandas()


def export_stage_kpis(con: duckdb.DuckDBPyConnection, definition_name: str, folder: Path) -> tuple[Path, Path]:
    """`folder/stage_kpis.csv` and `folder/stage_kpis.xlsx` (sheet stage_kpis), both with exactly the
    columns of stage_kpis.csv (SPEC section 6) and text cells made spreadsheet-safe; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stages = exports.spreadsheet_safe(sql.arrow(con, "exports/stage_kpis", {"definition": definition_name}))
    csv_path = folder / "stage_kpis.csv"
    pa_csv.write_csv(stages, csv_path)
    return csv_path, exports.write_workbook(con, definition_name, folder / "stage_kpis.xlsx", ("stage_kpis",))



def what_if(con: duckdb.DuckDBPyConnection, definition_file: Path, scenarios: list[str]) -> pd.DataFrame:
    """What `journeys whatif` answers for the scenarios applied together (e.g. `["exit Pricing = -20%"]`), from
    the twin the definition's latest mining run kept: per stage, then `(conversion)`, the `baseline`, the
    `predicted` value, their `change` and the prediction's 95 % interval (`predicted_low`, `predicted_high`)."""
    journey = definition.load(definition_file)
    changes = [twin.parse_scenario(journey, scenario) for scenario in scenarios]
    mining.require_mined(con, journey)
    result = twin.what_if(journey, twin.stored_paths(con, journey), changes)
    return pd.DataFrame(twin.what_if_rows(journey.name, "; ".join(scenarios), result))


def journeys_per_month(con: duckdb.DuckDBPyConnection, definition_name: str) -> float:
    """The definition's journeys per 30 days, over the days its journeys span (at least one)."""
    ((journeys,),) = sql.run(con, "exports/journeys_per_month", {"definition": definition_name})
    return journeys or 0.0
