"""Mining one journey definition: map events to touchpoints, cut journeys, compute every table of
SPEC sections 4 and 5 in DuckDB, and replace the definition's rows of the output tables at once.

Mining is per person, then summed: a person's journeys, path steps, touchpoint counts, funnel steps
and event counts depend on that person's events only and are kept (the person tables). The tables of
SPEC section 5 are then summed from the person tables of everyone, every run. So a nightly run mines
again only the persons touched since the definition's latest run (persons with newly loaded events,
and persons whose identifiers moved), and its result equals a full run's.
"""

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journey_mining import comparisons, db, funnels, identity, paths, personas, sql, touchpoints, twin
from journey_mining.definition import PERSONA, Definition
from journey_mining.errors import JourneyError

# The folders of sql/ whose tables mining writes (sql/journeys/order.txt says when each phase runs).
FOLDERS = ("journeys", "funnels", "conformance", "twin", "segments", "comparisons")
# Rows per person, kept between runs (the [persons] phases): a run replaces the rows of the persons it mines again.
PERSON_TABLES = sql.tables("journeys", "persons") + sql.tables("funnels", "persons")
# Of those, the tables whose rows are found by journey_key (their journeys' persons): emptied before the journeys.
JOURNEY_TABLES = ("journey_steps", "journey_transitions", "journey_touchpoints", "journey_segments")
# Summed from the person tables over everyone, every run (the [sums] phases, in this order).
SUMMED_TABLES = (sql.tables("journeys", "sums") + sql.tables("conformance", "sums") + sql.tables("funnels", "sums")
                 + sql.tables("twin", "sums") + sql.tables("segments", "personas") + sql.tables("segments", "sums")
                 + sql.tables("comparisons", "sums"))
# The persons mined are mined in passes over hash buckets of persons, one pass per this many of their
# events: the journey cut and the funnels then work on one pass's mapped events in memory (at 100M
# events in one pass the ordered funnels ran out of a 4 GB memory limit). Each pass adds its persons'
# rows to the person tables.
EVENTS_PER_PASS = 10_000_000


FUNNEL_STEPS_SCHEMA = pa.schema([
    ("funnel", pa.string()), ("funnel_order", pa.int32()), ("funnel_kind", pa.string()), ("window_us", pa.int64()),
    ("steps", pa.int32()), ("step", pa.int32()), ("step_name", pa.string()), ("touchpoint_index", pa.int32())])
PERSONA_MEMBER_SCHEMA = pa.schema([("person_id", pa.string()), ("persona", pa.int32())])
PERSONA_SCHEMA = pa.schema([("persona", pa.int32()), ("name", pa.string()), ("top_touchpoints", pa.string()),
                            ("silhouette", pa.float64())])


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
    fingerprint = definition_sha256(definition)
    con.begin()
    try:
        for (table,) in sql.run(con, "journeys/outdated_tables"):  # names from that fixed list only
            sql.run_template(con, "journeys/drop_outdated_table", {"table": table})
        prepare(con, definition)
        latest = None if full else sql.one(
            con, "select coalesce(last_file_id, 0) from mining_state where definition = ? and definition_sha256 = ? "
                 "and mined_by = ? and since is not distinct from ? and until is not distinct from ?",
            [name, fingerprint, mining_code_digest(), since, until])
        remined = forget_touched_persons(con, name, last_file_id=latest[0] if latest else None)
        mine_persons(con, definition, since, until, everyone=remined is None)
        _delete_definition_rows(con, name, SUMMED_TABLES)
        sql.run_steps(con, "journeys", {"definition": name, "since": since, "until": until}, phase="sums")
        sql.run_steps(con, "conformance", {"definition": name}, phase="sums")
        sql.run_steps(con, "funnels", {"definition": name}, phase="sums")
        _fit_twin(con, definition)
        _sum_segments(con, definition)
        sum_alerts(con, definition, comparisons.latest_event_day(con))
        _delete_definition_rows(con, name, sql.tables("journeys", "state"))
        sql.run_steps(con, "journeys", {"definition": name, "definition_sha256": fingerprint, "since": since,
                                        "until": until, "remined_persons": remined, "mined_by": mining_code_digest()},
                      phase="state")
        counts = event_counts(con, name)
        con.commit()
    except BaseException:
        db.rollback(con)
        raise
    return counts


def _delete_definition_rows(con: duckdb.DuckDBPyConnection, definition: str, tables: tuple[str, ...]) -> None:
    """Remove the definition's rows from each of the tables (tables a phase fills, named by its order.txt)."""
    for table in tables:
        sql.run_template(con, "journeys/delete_definition_rows", {"table": table}, {"definition": definition})


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    return sql.one(con, "select path from duckdb_databases() where database_name = current_database()")[0]


def definition_sha256(definition: Definition) -> str:
    """The digest of the definition's file, which a run records: another file means another definition."""
    return hashlib.sha256(definition.path.read_bytes()).hexdigest()


@cache
def mining_code_digest() -> str:
    """A digest of the code that mines (every SQL file and step order of sql/, and the library's Python). After
    an upgrade the first run mines everyone again, so no person's rows mined by the old code are summed with the
    new code's."""
    digest = hashlib.sha256()
    code = sorted([*sql.SQL_DIR.rglob("*.sql"), *sql.SQL_DIR.rglob("order.txt")]) + sorted(
        Path(__file__).parent.glob("*.py"))
    for path in code:
        name = path.relative_to(sql.SQL_DIR) if path.is_relative_to(sql.SQL_DIR) else path.name
        digest.update(f"{name}\0{path.stat().st_size}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _passes(con: duckdb.DuckDBPyConnection, *, everyone: bool) -> int:
    """How many passes the persons mined take: one per EVENTS_PER_PASS of their loaded events."""
    (events,) = sql.one(con, "select coalesce(sum(events), 0) from persons "
                             "where ? or person_id in (select person_id from touched_persons)", [everyone])
    return max(1, math.ceil(events / EVENTS_PER_PASS))


def forget_touched_persons(con: duckdb.DuckDBPyConnection, definition: str, *, last_file_id: int | None) -> int | None:
    """Remove the person-table rows of the persons this run mines again (listed in `touched_persons`): those
    touched since file `last_file_id`, or everyone when it is None. Their number; None for everyone."""
    parameters = {"definition": definition}
    if last_file_id is None:
        con.execute("create or replace temp table touched_persons (person_id varchar)").fetchall()
        _delete_definition_rows(con, definition, PERSON_TABLES)
        return None
    sql.run_steps(con, "journeys", {**parameters, "last_file_id": last_file_id}, phase="touched")
    for table in JOURNEY_TABLES:
        sql.run_template(con, "journeys/delete_touched_journey_rows", {"table": table}, parameters)
    for table in PERSON_TABLES:
        if table not in JOURNEY_TABLES:
            sql.run_template(con, "journeys/delete_touched_rows", {"table": table}, parameters)
    return sql.one(con, "select count(*) from touched_persons")[0]


def prepare(con: duckdb.DuckDBPyConnection, definition: Definition) -> None:
    """The tables mining writes, made where missing, and the definition's tables (load_definition)."""
    for folder in FOLDERS:
        sql.run_steps(con, folder, {}, phase="tables")
    load_definition(con, definition)


def mine_persons(con: duckdb.DuckDBPyConnection, definition: Definition, since: date | None, until: date | None, *,
                 everyone: bool) -> None:
    """The person-table rows of the persons mined (everyone, or those in touched_persons): their events
    classified, then cut into journeys pass by pass."""
    passes = _passes(con, everyone=everyone)
    _classify(con, definition, since, until, everyone=everyone, passes=passes)
    for mining_pass in range(passes):
        _mine_pass(con, definition, mining_pass)


def load_definition(con: duckdb.DuckDBPyConnection, definition: Definition) -> None:
    """The definition's stages, touchpoints, expected transitions and funnel steps as temporary tables."""
    for name, table in definition_tables(definition).items():
        with sql.handed_over(con, {"definition_part": table}):
            sql.run_template(con, "journeys/scratch/definition_part", {"table": name})


def definition_tables(definition: Definition) -> dict[str, pa.Table]:
    """The definition's tables by name (definition_stages, definition_touchpoints, …), as every engine reads them."""
    names = [t.name for t in definition.touchpoints]
    index = {name: i for i, name in enumerate(names)}
    expected = np.argwhere(paths.edge_kinds(definition) == paths.EXPECTED)
    return {
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
        "definition_edges": _edges(definition),
        "definition_expected": pa.table({
            "source": pa.array([names[a] for a, _ in expected], pa.string()),
            "target": pa.array([names[b] for _, b in expected], pa.string()),
        }),
        "definition_funnel_steps": pa.Table.from_pylist(
            [{"funnel": funnel.name, "funnel_order": order, "funnel_kind": funnel.order,
              "window_us": None if funnel.window_s is None else funnel.window_s * 1_000_000,
              "steps": len(funnel.steps), "step": step, "step_name": name, "touchpoint_index": index[name]}
             for order, funnel in enumerate(definition.funnels)
             for step, name in enumerate(funnel.steps, start=1)],
            schema=FUNNEL_STEPS_SCHEMA),
        "definition_segments": pa.table({
            "segment_index": pa.array(range(len(definition.segments)), pa.int32()),
            "segment": pa.array([s.name for s in definition.segments], pa.string()),
            "field": pa.array([s.field for s in definition.segments], pa.string()),
        }),
    }


def _edges(definition: Definition) -> pa.Table:
    """Every edge of the definition's directly-follows graph that can occur, by touchpoint index (-1: (start)
    as a source, (end) as a target), with its names and conformance kind."""
    touchpoints = len(definition.touchpoints)
    source, target = np.divmod(np.arange((touchpoints + 1) ** 2), touchpoints + 1)  # by edge code (paths.edge_codes_of)
    return pa.table({
        "source_index": pa.array(source - 1, pa.int16()), "target_index": pa.array(target - 1, pa.int16()),
        "source": pa.array(["(start)", *(t.name for t in definition.touchpoints)]).take(source),
        "target": pa.array(["(end)", *(t.name for t in definition.touchpoints)]).take(target),
        "kind": pa.array(paths.KINDS).take(paths.edge_kind_codes(definition))})


def _classify(con: duckdb.DuckDBPyConnection, definition: Definition, since: date | None,
              until: date | None, *, everyone: bool, passes: int) -> None:
    bound = touchpoints.Parameters("match_")
    scope = touchpoints.match_predicate(definition.scope, bound) if definition.scope else "true"
    fragments = {"scope": scope, "touchpoint": touchpoints.touchpoint_case(definition, bound),
                 "segment_values": touchpoints.segment_values(definition, bound),
                 "order": "order by mining_pass" if passes > 1 else ""}
    period = {
        "since": datetime.combine(since, time(), timezone.utc) if since else None,
        "until": datetime.combine(until + timedelta(days=1), time(), timezone.utc) if until else None,
    }
    sql.run_steps(con, "journeys", {**period, **bound.values, "everyone": everyone, "passes": passes},
                  phase="classify", fragments=fragments)


def _mine_pass(con: duckdb.DuckDBPyConnection, definition: Definition, mining_pass: int) -> None:
    """Add the person-table rows of the persons of one mining pass: their journeys, path steps, touchpoint
    counts, funnel progress and event counts."""
    name = definition.name
    events = sql.arrow(con, "journeys/pass_events", {"mining_pass": mining_pass})
    sql.give_back_memory(con)
    person, at, touchpoint = (events.column(c).to_numpy() for c in ("person_key", "t", "touchpoint_index"))
    journeys = paths.cut(person, at, touchpoint, definition)
    step_journey = journeys.of_event[journeys.starts_step]
    step_touchpoint, step_at = touchpoint[journeys.starts_step], at[journeys.starts_step]
    moves = paths.transitions(step_journey, step_touchpoint, step_at, definition)
    stage_of, goal_of = paths.stage_of(definition), paths.goal_of(definition)
    starts = journeys.first_step
    names = [t.name for t in definition.touchpoints]
    chain_offsets, chain_touchpoints, _ = twin.chains(step_journey, step_touchpoint, definition)
    work = {
        "pass_journeys": pa.table({
            "journey": np.arange(len(journeys.person)), "person": journeys.person, "number": journeys.number,
            "start_at": _times(journeys.start_at), "end_at": _times(journeys.end_at), "steps": journeys.steps,
            "furthest_stage_index": _per_journey(np.maximum, stage_of[step_touchpoint], starts),
            "converted": _per_journey(np.logical_or, goal_of[step_touchpoint], starts),
            "conforms": paths.conforming(len(journeys.person), moves),
            "path": paths.texts(np.r_[starts, len(step_touchpoint)], step_touchpoint, names),
            "chain_path": paths.texts(chain_offsets, chain_touchpoints, names)}),
        "pass_steps": pa.table({
            "journey": step_journey, "step": np.arange(len(step_journey)) - starts[step_journey] + 1,
            "touchpoint_index": step_touchpoint, "step_at": _times(step_at)}),
        "pass_transitions": transition_rows(moves, len(names)),
        "pass_event_journeys": pa.table({
            "journey": journeys.of_event, "touchpoint_index": touchpoint, "unit_score": events.column("unit_score")}),
        "pass_journey_segments": _journey_segments(definition, events.column("segment_values"), journeys),
        "pass_funnel_progress": _ordered_funnel_progress(definition, person, at, touchpoint),
    }
    with sql.handed_over(con, work):
        sql.run_steps(con, "journeys", {"definition": name}, phase="pass")
        sql.run_steps(con, "funnels", {"mining_pass": mining_pass}, phase="pass")
        sql.run_steps(con, "journeys", {"definition": name, "mining_pass": mining_pass}, phase="persons")
        sql.run_steps(con, "funnels", {"definition": name}, phase="persons")


def transition_rows(moves: paths.Transitions, touchpoints: int) -> pa.Table:
    """A pass's transitions as journeys/journey_transitions reads them (pass_transitions)."""
    return pa.table({
        "journey": moves.journey, "source_index": moves.source.astype(np.int16),
        "target_index": moves.target.astype(np.int16),
        "micros": pa.array(moves.micros, mask=moves.micros == paths.UNTIMED),
        "first_on_edge": paths.first_on_edge(moves, touchpoints)})


def _journey_segments(definition: Definition, segment_values: pa.ChunkedArray, journeys: paths.Journeys) -> pa.Table:
    """Per journey and segment drawn from events: the value on the journey's first event (null: none)."""
    segments = [s.name for s in definition.segments if s.field != PERSONA]
    first_events = np.flatnonzero(np.r_[True, journeys.of_event[1:] != journeys.of_event[:-1]]) \
        if len(journeys.of_event) else np.zeros(0, np.int64)
    values = pc.list_flatten(segment_values.take(first_events)) if segments else pa.array([], pa.string())
    return pa.table({
        "journey": np.repeat(np.arange(len(first_events)), len(segments)),
        "segment": pa.array(segments * len(first_events), pa.string()),
        "value": values})


def _per_journey(ufunc: np.ufunc, per_step: np.ndarray, first_steps: np.ndarray) -> np.ndarray:
    """`ufunc` over the steps of each journey (journeys start at `first_steps`)."""
    return ufunc.reduceat(per_step, first_steps) if len(first_steps) else per_step[:0]


def _times(microseconds: np.ndarray) -> pa.Array:
    return pa.array(microseconds, pa.timestamp("us", tz="UTC"))


def _ordered_funnel_progress(definition: Definition, person: np.ndarray, at: np.ndarray,
                             touchpoint: np.ndarray) -> pa.Table:
    """The step times each person reached in each sequential or strict funnel (funnels.step_times), from
    the pass's mapped events in reading order."""
    columns = {"funnel": [], "person": [], "step_times": []}
    index = {t.name: i for i, t in enumerate(definition.touchpoints)}
    tied = (person[1:] == person[:-1]) & (at[1:] == at[:-1])  # events of one person and time
    for funnel in definition.funnels:
        if funnel.order == "any":
            continue
        at_step = np.zeros((len(definition.touchpoints), len(funnel.steps)), bool)
        for step, name in enumerate(funnel.steps):
            at_step[index[name], step] = True
        # a funnel reads a person's events of one time by the lowest step of their touchpoint (touchpoints at
        # no step last), then in reading order: lexsort is stable
        lowest = np.where(at_step.any(axis=1), np.argmax(at_step, axis=1), len(funnel.steps))
        order = np.lexsort((lowest[touchpoint], at, person)) if tied.any() else np.arange(len(person))
        if funnel.order == "sequential":  # moved only by events of its steps; strict funnels drop at any other
            order = order[at_step[touchpoint[order]].any(axis=1)]
        persons, reached, times = funnels.step_times(
            person[order], at[order], touchpoint[order], at_step, strict=funnel.order == "strict",
            window_us=None if funnel.window_s is None else funnel.window_s * 1_000_000)
        columns["funnel"].append(pa.repeat(pa.scalar(funnel.name), len(persons)))
        columns["person"].append(pa.array(persons))
        columns["step_times"].append(pa.ListArray.from_arrays(
            np.r_[0, np.cumsum(reached)], times[np.arange(times.shape[1]) < reached[:, None]]))
    return pa.table({name: pa.chunked_array(parts, type={"funnel": pa.string(), "person": pa.int64(),
                                                           "step_times": pa.list_(pa.int64())}[name])
                     for name, parts in columns.items()})


def _run_reading(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], folder: str, values: dict,
                 phase: str) -> None:
    """Run a phase of `folder` whose steps read `tables` (figures made in Python), handed over for it only."""
    with sql.handed_over(con, tables):
        sql.run_steps(con, folder, values, phase=phase)


def _fit_twin(con: duckdb.DuckDBPyConnection, definition: Definition) -> None:
    """The twin of everyone's journeys (their chain paths, cut when each was mined), its tables replaced."""
    found = sql.arrow(con, "twin/journey_chain_paths", {"definition": definition.name})
    sql.give_back_memory(con)
    _run_reading(con, twin_tables(definition, found), "twin", {"definition": definition.name}, "sums")


def twin_tables(definition: Definition, found: pa.Table) -> dict[str, pa.Table]:
    """The twin fitted on the distinct chain paths twin/journey_chain_paths found: the tables its [sums] read."""
    chain_paths = twin.ChainPaths.from_texts(definition, found.column("path"), found.column("converted").to_numpy(
        zero_copy_only=False), found.column("journeys").to_numpy())
    return twin.rows(definition, twin.build(definition, chain_paths))


def _sum_segments(con: duckdb.DuckDBPyConnection, definition: Definition) -> None:
    """The personas of everyone's journeys (from their persons' token counts), then every segment's values
    with their journeys and stage KPIs; their tables replaced."""
    name = definition.name
    tokens = sql.arrow(con, "segments/person_tokens", {"definition": name, "touchpoints": len(definition.touchpoints)})
    sql.give_back_memory(con)
    tables = persona_tables(definition, tokens, lambda: sql.arrow(con, "segments/persons", {"definition": name}))
    _run_reading(con, tables, "segments", {"definition": name}, "personas")
    sql.run_steps(con, "segments", {"definition": name}, phase="values")
    sql.run_steps(con, "segments", {"definition": name}, phase="sums")


def persona_tables(definition: Definition, tokens: pa.Table, persons: Callable[[], pa.Table]) -> dict[str, pa.Table]:
    """The personas found in the persons' token counts (segments/person_tokens): the tables the [personas] of
    segments/ read. `persons` gives the persons in person_id order (segments/persons), asked only when
    there are personas."""
    names = [t.name for t in definition.touchpoints]
    found = personas.find_in(personas.token_rows(*(tokens.column(c).to_numpy() for c in ("person", "token", "count")),
                                                 len(names)), names)
    members, groups = PERSONA_MEMBER_SCHEMA.empty_table(), PERSONA_SCHEMA.empty_table()
    if found:
        members = pa.table([persons().column("person_id"), pa.array(found.of_person, pa.int32())],
                           schema=PERSONA_MEMBER_SCHEMA)
        groups = pa.table([pa.array(range(1, found.k + 1), pa.int32()), found.names,
                           [json.dumps(top, ensure_ascii=False) for top in found.top_touchpoints],
                           [found.silhouette] * found.k], schema=PERSONA_SCHEMA)
    return {"persona_member_rows": members, "persona_rows": groups}


def sum_alerts(con: duckdb.DuckDBPyConnection, definition: Definition, latest_day: int | None) -> None:
    """The nightly structure alerts and the trends they come from, T being `latest_day`
    (comparisons.latest_event_day); their tables replaced."""
    found, weekly = comparisons.alerts(con, definition, latest_day), comparisons.trends(con, definition, latest_day)
    tables = {"alert_rows": pa.Table.from_pandas(found.assign(alert_order=np.arange(len(found))),
                                                 schema=comparisons.ALERT_SCHEMA, preserve_index=False),
              "trend_rows": pa.Table.from_pandas(weekly.assign(trend_order=np.arange(len(weekly))),
                                                 schema=comparisons.TREND_SCHEMA, preserve_index=False)}
    _run_reading(con, tables, "comparisons", {"definition": definition.name}, "sums")


def event_counts(con: duckdb.DuckDBPyConnection, definition: str) -> EventCounts:
    """The counts of the definition's latest mining run."""
    row = sql.one(con, "select in_scope, out_of_scope, mapped, unmapped, persons, journeys, converted "
                       "from mining_runs where definition = ?", [definition])
    return EventCounts(*row)


def require_mined(con: duckdb.DuckDBPyConnection, definition: Definition) -> None:
    """An error unless the definition's latest mining run in this database read this version of its file:
    what is read from the mined tables (what-ifs, comparisons) must mean what the file says."""
    mined_before = sql.one(con, "select exists (select 1 from duckdb_tables() where table_name = 'mining_state')")[0]
    found = mined_before and sql.run(con, "journeys/mined_version", {
        "definition": definition.name, "definition_sha256": definition_sha256(definition)})
    if not found:
        raise JourneyError(f"{definition.name}: not mined in this database yet; run `journeys mine {definition.path}` "
                           "first")
    if not found[0][0]:
        raise JourneyError(f"{definition.name}: mined from another version of {definition.path}; run "
                           f"`journeys mine {definition.path}` again first")


def remined_persons(con: duckdb.DuckDBPyConnection, definition: str) -> int | None:
    """The persons the definition's latest run mined again; None when it mined everyone."""
    return sql.one(con, "select remined_persons from mining_state where definition = ?", [definition])[0]


def record_conformance(con: duckdb.DuckDBPyConnection, definition: str, fitness: float | None,
                       precision: float | None, note: str | None) -> None:
    """Replace the definition's conformance row: journeys that conform, and pm4py's figures."""
    con.begin()
    try:
        _delete_definition_rows(con, definition, sql.tables("conformance", "model"))
        sql.run_steps(con, "conformance", {"definition": definition, "fitness": fitness, "precision": precision,
                                           "model_note": note}, phase="model")
        con.commit()
    except BaseException:
        db.rollback(con)
        raise
