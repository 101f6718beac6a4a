"""Mining one journey definition: map events to touchpoints, cut journeys, compute every table of
SPEC sections 4 and 5 in DuckDB, and replace the definition's rows of the output tables at once.

Mining is per person, then summed: a person's journeys, path steps, touchpoint counts, funnel steps
and event counts depend on that person's events only and are kept (the person tables). The tables of
SPEC section 5 are then summed from the person tables of everyone, every run. So a nightly run mines
again only the persons touched since the definition's latest run (persons with newly loaded events,
and persons whose identifiers moved), and its result equals a full run's.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from journey_mining import db, identity, sql, touchpoints
from journey_mining.definition import Definition
from journey_mining.errors import JourneyError

# Rows per person, kept between runs: a run replaces the rows of the persons it mines again.
PERSON_TABLES = ("journeys", "path_steps", "journey_touchpoints", "funnel_persons", "mined_persons")
# Summed from the person tables over everyone, every run, in this order (touchpoint_kpis reads feelings;
# variants and deviations read journeys; mining_runs all).
SUMMED_TABLES = ("stage_kpis", "feelings", "touchpoint_kpis", "transitions", "variants", "deviations", "funnels",
                 "mining_runs")
# What the latest run saw, for the next run to find the touched persons.
STATE_TABLES = ("mining_state", "mined_identities")
# Work tables, in order, from the classified events of one pass's persons to the person tables.
WORK_TABLES = ("int_journey_events", "int_journey_steps", "int_journey_transitions", "int_funnel_events",
               "int_funnel_progress_ordered", "int_funnel_progress_any")
# The persons mined are mined in passes over hash buckets of persons, one pass per this many of their
# events: the journey cut's windows and the funnels' per-person lists then work on one pass's events
# (at 100M events in one pass the ordered funnels ran out of a 4 GB memory limit; with only them in
# passes, mine had written 176 GB of spill after 20 minutes). Each pass adds its persons' rows to the
# person tables.
EVENTS_PER_PASS = 10_000_000


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
         until: date | None = None, full: bool = False) -> EventCounts:
    """Mine `definition` over events from `since` (inclusive) to `until` (inclusive), both UTC days.

    Mines again only the persons touched since the definition's latest run, unless `full` is asked
    for or there is no comparable run (none yet, another definition file, another period, other mining
    code).
    """
    if not sql.one(con, "select exists (select 1 from events)")[0]:  # else a run of 0 journeys looks like a result
        raise JourneyError(f"{_database_path(con)}: no events: run `journeys ingest` first")
    if not identity.persons_up_to_date(con):  # events of persons not yet built would be left out unseen
        raise JourneyError(f"{_database_path(con)}: the persons are older than the loaded events (an ingest "
                           "stopped before it built them?); run the same `journeys ingest` again to build them, "
                           "then mine")
    name = definition.name
    fingerprint = hashlib.sha256(definition.path.read_bytes()).hexdigest()
    con.begin()
    try:
        for table in PERSON_TABLES + SUMMED_TABLES + STATE_TABLES + ("conformance",):
            sql.run(con, "schema_" + table)
        sql.run(con, "schema_mining_state_mined_by")
        _load_definition(con, definition)
        latest = None if full else sql.one(
            con, "select coalesce(last_file_id, 0) from mining_state where definition = ? and definition_sha256 = ? "
                 "and mined_by = ? and since is not distinct from ? and until is not distinct from ?",
            [name, fingerprint, mining_code_digest(), since, until])
        remined = _forget_touched_persons(con, name, last_file_id=latest[0] if latest else None)
        passes = _passes(con, everyone=remined is None)
        _classify(con, definition, since, until, everyone=remined is None, passes=passes)
        sql.run(con, "stg_funnel_choice")
        sql.run(con, "stg_funnel_next")
        cut = {"inactivity_s": definition.cut.inactivity_s, "end_on_goal": definition.cut.end_on_goal,
               "collapse_repeats": definition.cut.collapse_repeats}
        for mining_pass in range(passes):
            this_pass = {"mining_pass": mining_pass}
            for work in WORK_TABLES:
                sql.run(con, work, {"int_journey_events": {**cut, **this_pass}, "int_funnel_events": this_pass,
                                    "int_journey_steps": {"definition": name}}.get(work))
            for table in PERSON_TABLES:
                sql.run(con, table, {"definition": name, **(this_pass if table == "mined_persons" else {})})
        sql.run(con, "int_mined_steps", {"definition": name})  # everyone's steps, for the sums
        sql.run(con, "int_journey_transitions")
        for table in SUMMED_TABLES:
            sql.run_template(con, "delete_definition_rows", {"table": table}, {"definition": name})
            sql.run(con, table, {"definition": name, **({"since": since, "until": until} if table == "mining_runs"
                                                         else {})})
        for table in STATE_TABLES:
            sql.run_template(con, "delete_definition_rows", {"table": table}, {"definition": name})
        sql.run(con, "mining_state", {"definition": name, "definition_sha256": fingerprint, "since": since,
                                      "until": until, "remined_persons": remined, "mined_by": mining_code_digest()})
        sql.run(con, "mined_identities", {"definition": name})
        counts = event_counts(con, name)
        con.commit()
    except BaseException:
        db.rollback(con)
        raise
    return counts


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    return sql.one(con, "select path from duckdb_databases() where database_name = current_database()")[0]


@cache
def mining_code_digest() -> str:
    """A digest of the code that mines (every SQL file and the library's Python). After an upgrade the first
    run mines everyone again, so no person's rows mined by the old code are summed with the new code's."""
    digest = hashlib.sha256()
    for path in sorted(sql.SQL_DIR.rglob("*.sql")) + sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _passes(con: duckdb.DuckDBPyConnection, *, everyone: bool) -> int:
    """How many passes the persons mined take: one per EVENTS_PER_PASS of their loaded events."""
    (events,) = sql.one(con, "select coalesce(sum(events), 0) from persons "
                             "where ? or person_id in (select person_id from touched_persons)", [everyone])
    return max(1, math.ceil(events / EVENTS_PER_PASS))


def _forget_touched_persons(con: duckdb.DuckDBPyConnection, definition: str, *, last_file_id: int | None) -> int | None:
    """Remove the person-table rows of the persons this run mines again (listed in `touched_persons`): those
    touched since file `last_file_id`, or everyone when it is None. Their number; None for everyone."""
    parameters = {"definition": definition}
    if last_file_id is None:
        con.execute("create or replace temp table touched_persons (person_id varchar)").fetchall()
        for table in PERSON_TABLES:
            sql.run_template(con, "delete_definition_rows", {"table": table}, parameters)
        return None
    sql.run(con, "int_touched_persons", {**parameters, "last_file_id": last_file_id})
    sql.run(con, "delete_touched_steps", parameters)  # by journey: before the journeys go
    for table in PERSON_TABLES:
        if table != "path_steps":
            sql.run_template(con, "delete_touched_rows", {"table": table}, parameters)
    return sql.one(con, "select count(*) from touched_persons")[0]


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
              until: date | None, *, everyone: bool, passes: int) -> None:
    bound = touchpoints.Parameters("match_")
    scope = touchpoints.match_predicate(definition.scope, bound) if definition.scope else "true"
    fragments = {"scope": scope, "touchpoint": touchpoints.touchpoint_case(definition, bound),
                 "order": "order by mining_pass" if passes > 1 else ""}
    period = {
        "since": datetime.combine(since, time(), timezone.utc) if since else None,
        "until": datetime.combine(until + timedelta(days=1), time(), timezone.utc) if until else None,
    }
    sql.run_template(con, "int_classified_events", fragments,
                     {**period, **bound.values, "everyone": everyone, "passes": passes})


def event_counts(con: duckdb.DuckDBPyConnection, definition: str) -> EventCounts:
    """The counts of the definition's latest mining run."""
    row = sql.one(con, "select in_scope, out_of_scope, mapped, unmapped, persons, journeys, converted "
                       "from mining_runs where definition = ?", [definition])
    return EventCounts(*row)


def remined_persons(con: duckdb.DuckDBPyConnection, definition: str) -> int | None:
    """The persons the definition's latest run mined again; None when it mined everyone."""
    return sql.one(con, "select remined_persons from mining_state where definition = ?", [definition])[0]


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
        db.rollback(con)
        raise
