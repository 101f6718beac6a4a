"""Validators of the loaded and mined data (each says what is wrong, if anything), and the totals and
first rows an analyst reads after a run."""

from dataclasses import dataclass

import duckdb
import numpy as np

from journey_mining import sql, twin
from journey_mining.exports import CSV_TABLES
from journey_mining.ingest import QUARANTINE_THRESHOLD

EXAMPLES = 10  # enough to act on; `count` says how many there are in all
PREVIEW_ROWS = 5
SHARE_TOLERANCE = 1e-9  # shares are rounded doubles: their sum may miss 1, by far less than this
CONVERSION_TOLERANCE = 1e-9  # the chain's P(conv) is a solve in doubles


@dataclass(frozen=True)
class Findings:
    """What one validator found wrong: how many things, and the first few of them in words."""

    count: int
    examples: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.count == 0


@dataclass(frozen=True)
class LoadSummary:
    """Totals over everything in the database: files, their rows, and the persons built from them."""

    files: int
    read: int
    loaded: int
    duplicates: int
    quarantined: int
    events: int  # rows in the events table; equals `loaded` when the counts reconcile
    persons: int
    identifiers: int
    oversize_components: tuple[int, ...]  # identifiers per component kept apart, largest first


@dataclass(frozen=True)
class StageKpi:
    """One stage of a mined definition (SPEC section 5); a rate or median without journeys is None."""

    stage: str
    journeys_reached: int
    journeys_dropped: int
    drop_off_rate: float | None
    median_s_to_reach: float | None


@dataclass(frozen=True)
class Preview:
    """The first rows of a mined table in the order of its export, without the definition column."""

    columns: tuple[str, ...]
    rows: tuple[tuple, ...]


def unreconciled_files(con: duckdb.DuckDBPyConnection) -> Findings:
    """Files whose rows are not all accounted for.

    A file's counts must add up (read = loaded + duplicates + quarantined) and must match what the
    tables hold for it: its rows in `events` are `loaded`, its rows in `quarantine` are `quarantined`.
    Rows of either table that belong to no ingested file are reported too.
    """
    rows = con.execute(
        """
        with events_per_file as (
            select file_id, count(*) as n from events group by file_id
        ),

        quarantine_per_file as (
            select file_id, count(*) as n from quarantine group by file_id
        ),

        final as (
            select f.path, f."read", f.loaded, f.duplicates, f.quarantined,
                   coalesce(e.n, 0) as events_rows, coalesce(q.n, 0) as quarantine_rows
            from ingested_files as f
            left join events_per_file as e using (file_id)
            left join quarantine_per_file as q using (file_id)
            where f."read" <> f.loaded + f.duplicates + f.quarantined
               or coalesce(e.n, 0) <> f.loaded
               or coalesce(q.n, 0) <> f.quarantined
        )

        select * from final order by path
        """).fetchall()
    problems = [
        f"{path}: read {read} vs loaded {loaded} + duplicates {duplicates} + quarantined {quarantined}; "
        f"events table {events_rows}, quarantine table {quarantine_rows}"
        for path, read, loaded, duplicates, quarantined, events_rows, quarantine_rows in rows
    ]
    orphans = sql.one(
        con,
        "select (select count(*) from events where file_id not in (select file_id from ingested_files)), "
        "(select count(*) from quarantine where file_id not in (select file_id from ingested_files))")
    problems += [f"{count} rows of {table} belong to no ingested file"
                 for table, count in zip(("events", "quarantine"), orphans) if count]
    return Findings(len(problems), tuple(problems[:EXAMPLES]))


def duplicate_event_keys(con: duckdb.DuckDBPyConnection) -> Findings:
    """Keys (source, event_id) held by more than one row of `events`; ingest keeps the first only."""
    (count,) = sql.one(
        con, "select count(*) from (select 1 from events group by source, event_id having count(*) > 1)")
    rows = con.execute(
        "select source, event_id, count(*) as copies from events group by source, event_id "
        "having count(*) > 1 order by copies desc, source, event_id limit ?", [EXAMPLES]).fetchall()
    return Findings(count, tuple(f"{source} {event_id!r}: {copies} rows"
                                 for source, event_id, copies in rows))


def files_over_quarantine_threshold(con: duckdb.DuckDBPyConnection,
                                    threshold: float = QUARANTINE_THRESHOLD) -> Findings:
    """Files whose quarantined share of rows read is above `threshold`.

    Ingest refuses such files at its default threshold; one loaded with a laxer threshold shows here.
    """
    rows = con.execute(
        'select path, quarantined, "read" from ingested_files '
        'where "read" > 0 and quarantined > ? * "read" order by quarantined / "read" desc, path',
        [threshold]).fetchall()
    return Findings(len(rows), tuple(
        f"{path}: {quarantined} of {read} rows quarantined ({quarantined / read:.1%})"
        for path, quarantined, read in rows[:EXAMPLES]))


def load_summary(con: duckdb.DuckDBPyConnection) -> LoadSummary:
    """The totals an analyst reads after a run."""
    files, read, loaded, duplicates, quarantined = sql.one(
        con,
        'select count(*), coalesce(sum("read"), 0), coalesce(sum(loaded), 0), '
        "coalesce(sum(duplicates), 0), coalesce(sum(quarantined), 0) from ingested_files")
    (events,) = sql.one(con, "select count(*) from events")
    (persons,) = sql.one(con, "select count(*) from persons")
    (identifiers,) = sql.one(con, "select count(*) from identities")
    oversize = con.execute("select identifiers from oversize_components order by identifiers desc").fetchall()
    return LoadSummary(
        files=files, read=int(read), loaded=int(loaded), duplicates=int(duplicates),
        quarantined=int(quarantined), events=events, persons=persons, identifiers=identifiers,
        oversize_components=tuple(n for (n,) in oversize))


# --- the laws the mined numbers obey (SPEC section 5), one definition at a time -------------------

def unbalanced_touchpoints(con: duckdb.DuckDBPyConnection, definition: str) -> Findings:
    """Touchpoints whose transitions in (edges into it, from (start) included) differ from their
    transitions out (edges out of it, to (end) included)."""
    rows = sql.run(con, "checks/unbalanced_touchpoints", {"definition": definition})
    return _findings(rows, lambda touchpoint, steps_in, steps_out:
                     f"{touchpoint}: {steps_in} steps in, {steps_out} out")


def rising_funnel_steps(con: duckdb.DuckDBPyConnection, definition: str) -> Findings:
    """Funnel steps with more persons than the step before them."""
    rows = sql.run(con, "checks/rising_funnel_steps", {"definition": definition})
    return _findings(rows, lambda funnel, step, step_name, persons, persons_before:
                     f"{funnel} step {step} ({step_name}): {persons} persons, "
                     f"more than {persons_before} at step {step - 1}")


def unreconciled_drop_offs(con: duckdb.DuckDBPyConnection, definition: str) -> Findings:
    """The stages' journeys dropped, when their sum is not the journeys that did not convert."""
    rows = sql.run(con, "checks/unreconciled_drop_offs", {"definition": definition})
    return _findings(rows, lambda dropped, not_converted:
                     f"{dropped} journeys dropped over the stages, {not_converted} journeys did not convert")


def variant_shares_off_one(con: duckdb.DuckDBPyConnection, definition: str,
                           tolerance: float = SHARE_TOLERANCE) -> Findings:
    """The variants' shares, when they do not sum to 1 (to 0 without journeys) within `tolerance`."""
    rows = sql.run(con, "checks/variant_shares", {"definition": definition, "tolerance": tolerance})
    return _findings(rows, lambda total, variants, journeys:
                     f"the shares of {variants} variants sum to {total!r} over {journeys} journeys")


def deviations_above_journeys(con: duckdb.DuckDBPyConnection, definition: str) -> Findings:
    """Deviations said to be taken by more journeys than the definition has."""
    rows = sql.run(con, "checks/deviations_above_journeys", {"definition": definition})
    return _findings(rows, lambda source, target, kind, journeys, all_journeys:
                     f"{kind} {source} > {target}: {journeys} journeys of {all_journeys}")


def twin_conversion_off(con: duckdb.DuckDBPyConnection, definition: str,
                        tolerance: float = CONVERSION_TOLERANCE) -> Findings:
    """The twin's chain (twin_transitions) solved again, when its P(conv) is not the journeys' observed
    conversion rate within `tolerance` (SPEC section 8: a first-order chain fitted to every chain path
    reproduces it exactly)."""
    rows = sql.run(con, "checks/twin_conversion", {"definition": definition})
    if not rows or not rows[0][3]:
        return Findings(0)
    journeys, converted = rows[0][3], rows[0][4]
    names = sorted({name for source, target, *_ in rows if source is not None for name in (source, target)}
                   - {twin.START_STATE, twin.CONVERSION_STATE, twin.NULL_STATE})
    index = {twin.START_STATE: 0, **{name: i + 1 for i, name in enumerate(names)}}
    index.update({twin.CONVERSION_STATE: len(names) + 1, twin.NULL_STATE: len(names) + 2})
    counts = np.zeros((len(names) + 1, len(names) + 3))
    for source, target, transitions, *_ in rows:
        if source is not None:
            counts[index[source], index[target]] = transitions
    modelled = twin.Chain.from_counts(counts).conversion()
    if abs(modelled - converted / journeys) <= tolerance:
        return Findings(0)
    return Findings(1, (f"the chain converts {modelled!r} of journeys, the journeys converted "
                        f"{converted} of {journeys} ({converted / journeys!r})",))


def structure_alerts(con: duckdb.DuckDBPyConnection, definition: str) -> Findings:
    """The definition's nightly structure alerts (SPEC section 10): not a broken law but a journey that
    changed, for someone to look at."""
    rows = sql.run(con, "checks/structure_alerts", {"definition": definition})

    def describe(kind, item_kind, item, previous, current, q):
        shares = " → ".join("—" if share is None else f"{100 * share:.2f} %" for share in (previous, current))
        return f"{kind}: {' '.join(filter(None, (item_kind, item)))} {shares} (q {q:.2g})"

    return _findings(rows, describe)


def weekly_conversion(con: duckdb.DuckDBPyConnection, definition: str, weeks: int = 8) -> list[tuple]:
    """The latest start weeks of the trends, newest first: week, journeys, conversion and conformance rates."""
    return sql.run(con, "checks/weekly_conversion", {"definition": definition, "weeks": weeks})


def _findings(rows: list[tuple], describe) -> Findings:
    return Findings(len(rows), tuple(describe(*row) for row in rows[:EXAMPLES]))


# --- what a mining run left, for the run's report ----------------------------------------------------

def mined_rows(con: duckdb.DuckDBPyConnection, definition: str) -> dict[str, int]:
    """The definition's rows in each table mining writes (conformance included), by table."""
    return dict(sql.run(con, "checks/mined_rows", {"definition": definition}))


def stage_kpis(con: duckdb.DuckDBPyConnection, definition: str) -> tuple[StageKpi, ...]:
    """The definition's stage KPIs, stages in the definition's order."""
    return tuple(StageKpi(stage, reached, dropped, rate, median)
                 for _, stage, _, reached, dropped, rate, median
                 in sql.run(con, "exports/stage_kpis", {"definition": definition}))


@dataclass(frozen=True)
class RemovalEffect:
    """One touchpoint's removal effect in the definition's twin, with its interval."""

    touchpoint: str
    removal_effect: float
    low: float | None
    high: float | None


def strongest_touchpoints(con: duckdb.DuckDBPyConnection, definition: str, count: int = 3) -> list[RemovalEffect]:
    """The `count` touchpoints journeys passed through with the largest removal effect (attribution), largest
    first; ties by name."""
    rows = sql.arrow(con, "exports/attribution", {"definition": definition}).to_pylist()
    ranked = sorted((row for row in rows if row["removal_effect"] is not None and row["journeys"]),
                    key=lambda row: (-row["removal_effect"], row["touchpoint"]))
    return [RemovalEffect(row["touchpoint"], row["removal_effect"], row["removal_effect_low"],
                          row["removal_effect_high"]) for row in ranked[:count]]


def first_rows(con: duckdb.DuckDBPyConnection, definition: str, table: str,
               limit: int = PREVIEW_ROWS) -> Preview:
    """The first `limit` rows of one of the definition's exported tables (`CSV_TABLES`), as exported."""
    if table not in CSV_TABLES:
        raise ValueError(f"{table!r} is not an exported table ({', '.join(CSV_TABLES)})")
    # A relation, so DuckDB reads only the first rows of a large table; the statement is a fixed file.
    relation = sql.relation(con, f"exports/{table}", {"definition": definition})
    shown = [index for index, column in enumerate(relation.columns) if column != "definition"]
    return Preview(tuple(relation.columns[index] for index in shown),
                   tuple(tuple(row[index] for index in shown) for row in relation.limit(limit).fetchall()))
