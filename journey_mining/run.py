"""A mining run of one definition, in the three steps the nightly job also runs as assets: mine (SQL),
conform (fitness and precision, time-boxed), export (files, summary.json and the journey map, report.html)."""

import platform
import time
from collections.abc import Callable
from datetime import date
from importlib import metadata
from pathlib import Path

import duckdb

from journey_mining import exports, ingest, mining, process_model, report, sql
from journey_mining.definition import Definition

VERSIONED = ("journey-mining", "duckdb", "pm4py", "pandas", "pyarrow", "networkx", "dagster")


def mine_definition(con: duckdb.DuckDBPyConnection, definition: Definition, out: Path, *,
                    since: date | None = None, until: date | None = None, full: bool = False,
                    workbook: bool = False, event_log: bool = False, progress: Callable[[str], None] = lambda step: None) -> dict:
    """All three steps into `out/<definition name>/`; the run summary (also written as summary.json).
    `progress` is told each step as it starts."""
    timings = {}
    started = time.perf_counter()
    progress("mining journeys")
    mining.mine(con, definition, since=since, until=until, full=full)
    timings["mine"] = time.perf_counter() - started
    started = time.perf_counter()
    progress("fitness and precision")
    conform(con, definition)
    timings["conformance"] = time.perf_counter() - started
    progress("writing files")
    return export(con, definition, out, timings=timings, workbook=workbook, event_log=event_log)


def conform(con: duckdb.DuckDBPyConnection, definition: Definition,
            budget_s: float = process_model.FITNESS_BUDGET_S) -> process_model.ModelConformance:
    """Fitness and precision of the mined journeys against the assumed journey, recorded in `conformance`."""
    model = process_model.conformance(con, definition, budget_s)
    mining.record_conformance(con, definition.name, model.fitness, model.precision, model.note)
    return model


def export(con: duckdb.DuckDBPyConnection, definition: Definition, out: Path, *,
           timings: dict[str, float] | None = None, workbook: bool = False, event_log: bool = False) -> dict:
    """Every output file of SPEC section 6 from the mined tables, the journey map included, and the run
    summary; with `workbook`, stage_kpis.xlsx (every table a sheet) too, and with `event_log` journeys.xes
    (one XML element per path step: 1.7 GB and 9 s at 10 million events, so only when asked for). `out/<definition name>/` is replaced
    whole, or left as it was when the run stops part-way."""
    started = time.perf_counter()
    with exports.replaced_whole(out / definition.name) as folder:
        exports.write_tables(con, definition.name, folder)
        if workbook:
            exports.write_workbook(con, definition.name, folder / "stage_kpis.xlsx")
        process_model.write_discovered_model(
            sql.run(con, "exports/transition_counts", {"definition": definition.name}), folder)
        if event_log:
            exports.write_xes(con, definition.name, folder / "journeys.xes")
        timings = {**(timings or {}), "export": time.perf_counter() - started}
        summary = run_summary(con, definition, timings)
        exports.write_summary(folder / "summary.json", summary)
        report.write_report(con, definition, folder)
    return summary


def run_summary(con: duckdb.DuckDBPyConnection, definition: Definition, timings: dict[str, float]) -> dict:
    """summary.json: what was read, how the definition's events fared, and the model figures."""
    counts = mining.event_counts(con, definition.name)
    since, until = sql.one(con, "select since, until from mining_runs where definition = ?", [definition.name])
    fitness, precision, note = sql.one(
        con, "select fitness, precision, model_note from conformance where definition = ?",
        [definition.name]) or (None, None, "conformance not computed")
    files = [counts_.as_json() for counts_ in ingest.all_file_counts(con)]
    return {
        "definition": definition.name,
        "definition_file": str(definition.path),
        "period": {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None},
        "files": files,
        "events": {key: sum(f[key] for f in files) for key in ("read", "loaded", "duplicates", "quarantined")},
        "in_scope": counts.in_scope,
        "out_of_scope": counts.out_of_scope,
        "mapped": counts.mapped,
        "unmapped": counts.unmapped,
        "persons": counts.persons,
        "journeys": counts.journeys,
        "converted": counts.converted,
        "model": {"fitness": fitness, "precision": precision, "note": note},
        "warnings": warnings(con, definition),
        "oversize_components": [n for (n,) in con.execute(
            "select identifiers from oversize_components order by identifiers desc").fetchall()],
        "versions": {"python": platform.python_version(), **_versions()},
        "timings_s": {step: round(seconds, 3) for step, seconds in timings.items()},
    }


def warnings(con: duckdb.DuckDBPyConnection, definition: Definition) -> list[str]:
    """What the analyst should look at before trusting the run, one line each: the touchpoints (funnel
    steps included) that no event was mapped to, most likely a `match` with a typo or a value not present."""
    unmatched = {t for (t,) in con.execute("select touchpoint from touchpoint_kpis where definition = ? and events = 0",
                                           [definition.name]).fetchall()}
    names = [t.name for t in definition.touchpoints if t.name in unmatched]
    if not names:
        return []
    funnels = [f.name for f in definition.funnels if unmatched.intersection(f.steps)]
    return [f"{definition.name}: {len(names)} touchpoint{'s' if len(names) > 1 else ''} matched no event: "
            f"{', '.join(names)}"
            + (f"; funnel{'s' if len(funnels) > 1 else ''} with such a step: {', '.join(funnels)}" if funnels else "")
            + f" — check {'their' if len(names) > 1 else 'its'} match"]


def _versions() -> dict[str, str]:
    found = {}
    for package in VERSIONED:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found
