"""Mining one journey definition: map events to touchpoints, cut journeys, compute every table of
SPEC sections 4 and 5 in DuckDB, and replace the definition's rows of the output tables at once.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import duckdb
import pyarrow as pa

from journey_mining import sql, touchpoints
from journey_mining.definition import Definition

# Output tables in the order they are built (touchpoint_kpis reads feelings; variants and deviations read
# journeys; mining_runs all).
MINED_TABLES = ("journeys", "path_steps", "stage_kpis", "feelings", "touchpoint_kpis", "transitions", "variants",
                "deviations", "funnels", "mining_runs")
# Work tables, in order, from the classified events to what the output tables read.
WORK_TABLES = ("int_journey_events", "int_journey_steps", "int_journey_transitions", "stg_funnel_choice",
               "stg_funnel_next", "int_funnel_events", "int_funnel_progress_ordered", "int_funnel_progress_any")


FUNNEL_STEPS_SCHEMA = pa.schema([
    ("funnel", pa.string()), ("funnel_order", pa.int32()), ("funnel_kind", pa.string()), ("window_us", pa.int64()),
    ("steps", pa.int32()), ("step", pa.int32()), ("step_name", pa.string()), ("touchpoint_index", pa.int32())])


@dataclass(frozen=True)
class EventCounts:
    """How the events of the analysed period fared against one definition."""

    in_scope: int
    out_of_scope: int
    mapped: int
    unmapped: int
    persons: int
    journeys: int
    converted: int


def mine(con: duckdb.DuckDBPyConnection, definition: Definition, *, since: date | None = None,
         until: date | None = None) -> EventCounts:
    """Mine `definition` over events from `since` (inclusive) to `until` (inclusive), both UTC days."""
    parameters = {"definition": definition.name, "since": since, "until": until}
    con.begin()
    try:
        for table in MINED_TABLES + ("conformance",):
            sql.run(con, "schema_" + table)
        _load_definition(con, definition)
        _classify(con, definition, since, until)
        cut = {"inactivity_s": definition.cut.inactivity_s, "end_on_goal": definition.cut.end_on_goal,
               "collapse_repeats": definition.cut.collapse_repeats}
        for name in WORK_TABLES:
            sql.run(con, name, {"int_journey_events": cut, "int_journey_steps": {"definition": definition.name}
                                }.get(name))
        for table in MINED_TABLES:
            sql.run_template(con, "delete_definition_rows", {"table": table}, {"definition": definition.name})
            sql.run(con, table, parameters if table == "mining_runs" else {"definition": definition.name})
        counts = event_counts(con, definition.name)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return counts


def _load_definition(con: duckdb.DuckDBPyConnection, definition: Definition) -> None:
    """The definition's stages, touchpoints, allowed pairs and funnel steps as temporary tables."""
    index = {t.name: i for i, t in enumerate(definition.touchpoints)}
    tables = {
        "definition_stages": pa.table({
            "stage_index": pa.array([s.index for s in definition.stages], pa.int32()),
            "stage": [s.name for s in definition.stages],
        }),
        "definition_touchpoints": pa.table({
            "touchpoint_index": pa.array(range(len(definition.touchpoints)), pa.int32()),
            "touchpoint": [t.name for t in definition.touchpoints],
            "stage": [t.stage for t in definition.touchpoints],
            "stage_index": pa.array([t.stage_index for t in definition.touchpoints], pa.int32()),
            "goal": [t.goal for t in definition.touchpoints],
        }),
        "definition_allowed": pa.table({
            "source": pa.array([a for a, _ in definition.allowed], pa.string()),
            "target": pa.array([b for _, b in definition.allowed], pa.string()),
        }),
        "definition_funnel_steps": pa.Table.from_pylist(
            [{"funnel": funnel.name, "funnel_order": order, "funnel_kind": funnel.order,
              "window_us": None if funnel.window_s is None else funnel.window_s * 1_000_000,
              "steps": len(funnel.steps), "step": step, "step_name": name, "touchpoint_index": index[name]}
             for order, funnel in enumerate(definition.funnels)
             for step, name in enumerate(funnel.steps, start=1)],
            schema=FUNNEL_STEPS_SCHEMA),
    }
    for name, table in tables.items():
        con.register("definition_part", table)
        try:
            sql.run_template(con, "stg_definition_part", {"table": name})
        finally:
            con.unregister("definition_part")


def _classify(con: duckdb.DuckDBPyConnection, definition: Definition, since: date | None,
              until: date | None) -> None:
    bound = touchpoints.Parameters("match_")
    scope = touchpoints.match_predicate(definition.scope, bound) if definition.scope else "true"
    fragments = {"scope": scope, "touchpoint": touchpoints.touchpoint_case(definition, bound)}
    period = {
        "since": datetime.combine(since, time(), timezone.utc) if since else None,
        "until": datetime.combine(until + timedelta(days=1), time(), timezone.utc) if until else None,
    }
    sql.run_template(con, "int_classified_events", fragments, {**period, **bound.values})


def event_counts(con: duckdb.DuckDBPyConnection, definition: str) -> EventCounts:
    """The counts of the definition's latest mining run."""
    row = sql.one(con, "select in_scope, out_of_scope, mapped, unmapped, persons, journeys, converted "
                       "from mining_runs where definition = ?", [definition])
    return EventCounts(*row)


def record_conformance(con: duckdb.DuckDBPyConnection, definition: str, fitness: float | None,
                       precision: float | None, note: str | None) -> None:
    """Replace the definition's conformance row: journeys that conform, and pm4py's figures."""
    parameters = {"definition": definition}
    con.begin()
    try:
        sql.run_template(con, "delete_definition_rows", {"table": "conformance"}, parameters)
        sql.run(con, "conformance", {**parameters, "fitness": fitness, "precision": precision, "model_note": note})
        con.commit()
    except BaseException:
        con.rollback()
        raise
