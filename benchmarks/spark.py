"""Benchmark: the Spark engine beside DuckDB, at 1M and 10M events on local[2] (make bench).

For each size it takes the default shape's landing data of benchmarks/nightly.py (generated, or cached in the
work folder) and runs, each stage in a child process of its own (seconds of the work, peak RSS of the child's
process tree, the JVM included):

    ingest          both sources into a fresh DuckDB file (DuckDB's ingest, as the nightly benchmark runs it)
    identities, mine, conformance, export
                    the DuckDB engine (nightly.py's stages)
    hand-over       the loaded events and file counts written from DuckDB to a warehouse of Parquet files:
                    what the Spark engine reads (ingest on Spark is not built yet)
    spark identities
                    persons on Spark (spark.build_persons)
    spark mine      spark.mine_definition: the per-person tables in Spark buckets and the sums over everyone
                    on Spark, then the alerts, conformance and files by the driver's DuckDB; split as its
                    summary.json times it (mine, conformance, export)

then compares every output file of the two engines (tables row by row, rates to 1e-12 relative) and writes
the section "## The Spark engine" of the report.

    python benchmarks/spark.py --events 1M,10M --doc docs/performance.md
    python benchmarks/spark.py --events 20000 --doc /tmp/performance.md   # a smoke check
"""

import argparse
import json
import math
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import nightly  # beside this script
from conformance import write_section

SECTION = "## The Spark engine"
MASTER = "local[2]"
SETTINGS = {"spark.master": MASTER, "spark.driver.memory": "6g", "spark.sql.shuffle.partitions": "8",
            "spark.ui.enabled": "false"}
DUCKDB_STAGES = ("identities", "mine", "conformance", "export")
SPARK_STAGES = ("hand_over", "spark_identities", "spark_mine")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="1M,10M", help="comma-separated sizes in events (default %(default)s)")
    parser.add_argument("--work", type=Path, default=nightly.DEFAULT_WORK,
                        help="work folder, the landing data cached here as nightly.py caches it (default %(default)s)")
    parser.add_argument("--doc", type=Path, help=f"write the figures as the section {SECTION!r} of this report")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", nargs=2, metavar=("STAGE", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return nightly.run_child(*args.child, stages=STAGES)
    os.environ.setdefault("JOURNEYS_HASH_KEY", "benchmark-pseudonymisation-key")
    args.regenerate, args.generator = False, nightly.generator_fingerprint()
    args.work.mkdir(parents=True, exist_ok=True)
    per_person = nightly.events_per_person(args.work, args.seed, args.generator, "default")
    sizes = [measure(nightly.parse_size(text), per_person, args) for text in args.events.split(",") if text.strip()]
    text = section(sizes)
    print(text)
    if args.doc:
        write_section(args.doc, SECTION, text)
        nightly.say(f"wrote {SECTION!r} of {args.doc}")
    return 0


def measure(target: int, per_person: float, args: argparse.Namespace) -> dict:
    persons = max(1, round(target / per_person))
    tag = f"[spark {nightly.human(target)}]"
    landing = args.work / f"landing-{target}-s{args.seed}"
    generated = nightly.generated_landing(landing, persons, "default", args, tag)
    folder = args.work / f"spark-{target}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    spec = {"db": str(folder / "journeys.duckdb"), "landing": str(landing), "out": str(folder / "duckdb-out"),
            "warehouse": str(folder / "warehouse"), "spark_out": str(folder / "spark-out"),
            "definition": str(nightly.DEFAULT_DEFINITION), "events": generated.rows,
            "conformance_budget_s": nightly.DEFAULT_CONFORMANCE_BUDGET_S}
    try:
        stages = {"ingest": nightly.run_stage("ingest", spec, tag)}
        for name in DUCKDB_STAGES:
            stages[name] = nightly.run_stage(name, spec, tag)
        for name in SPARK_STAGES:
            stages[name] = nightly.run_stage(name, spec, tag, script=Path(__file__))
        failed = [f"{name} failed: {stage.failed}" for name, stage in stages.items() if stage.failed]
        name = nightly.DEFAULT_DEFINITION.stem
        differing = failed or differing_files(Path(spec["out"]) / name, Path(spec["spark_out"]) / name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"target": target, "events": generated.rows, "persons": persons, "differing": differing,
            "stages": {name: {"seconds": s.seconds, "wall": s.wall_seconds, "peak_mib": s.peak_rss_mib,
                              "failed": s.failed, "details": s.details} for name, s in stages.items()}}


# --- The children ------------------------------------------------------------------------------------


def spark_session():
    from journey_mining import spark

    return spark.session(SETTINGS)


def stage_hand_over(spec: dict) -> tuple[float, dict]:
    """The loaded events and the file counts as the warehouse's Parquet tables (DuckDB writes them)."""
    from journey_mining import db

    con = db.connect(spec["db"])
    started = time.perf_counter()
    for table in ("events", "ingested_files"):
        target = Path(spec["warehouse"]) / table
        target.mkdir(parents=True)
        con.execute(f"copy {table} to '{target}' (format parquet, per_thread_output true)")
    seconds = time.perf_counter() - started
    con.close()
    return seconds, {}


def stage_spark_identities(spec: dict) -> tuple[float, dict]:
    from journey_mining import spark

    session = spark_session()
    started = time.perf_counter()
    warehouse = spark.Warehouse(session, spec["warehouse"])
    warehouse.show("events")
    rounds = spark.build_persons(warehouse, os.environ["JOURNEYS_HASH_KEY"].encode("utf-8"))
    seconds = time.perf_counter() - started
    session.stop()
    return seconds, {"rounds": rounds}


def stage_spark_mine(spec: dict) -> tuple[float, dict]:
    from journey_mining import definition, spark

    journey = definition.load(spec["definition"])
    session = spark_session()
    started = time.perf_counter()
    warehouse = spark.Warehouse(session, spec["warehouse"])
    for table in ("events", "identities", "persons"):
        warehouse.show(table)
    summary = spark.mine_definition(warehouse, journey, Path(spec["spark_out"]))
    seconds = time.perf_counter() - started
    session.stop()
    return seconds, {"timings": summary["timings_s"], "journeys": summary["journeys"]}


STAGES = {"hand_over": stage_hand_over, "spark_identities": stage_spark_identities, "spark_mine": stage_spark_mine}


# --- Comparing the outputs -------------------------------------------------------------------------------


def differing_files(ours: Path, theirs: Path) -> list[str]:
    """The output files that differ between the engines: tables row by row (floats to 1e-12 relative),
    summary.json but its timings; report.html and the models are held equal by tests/test_spark.py."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    names = {path.name for path in ours.iterdir()} ^ {path.name for path in theirs.iterdir()}
    differing = sorted(f"{name} (on one side only)" for name in names)
    for path in sorted(ours.iterdir()):
        other = theirs / path.name
        if not other.exists():
            continue
        if path.suffix in (".csv", ".parquet"):
            read = pa_csv.read_csv if path.suffix == ".csv" else pq.read_table
            if not same_rows(read(path), read(other)):
                differing.append(path.name)
        elif path.name == "summary.json":
            mine, found = (json.loads(p.read_text()) for p in (path, other))
            if {**mine, "timings_s": None} != {**found, "timings_s": None}:
                differing.append(path.name)
    return differing


def same_rows(ours, theirs) -> bool:
    if ours.schema != theirs.schema or len(ours) != len(theirs):
        return False
    for column in ours.column_names:
        left, right = ours.column(column).to_pylist(), theirs.column(column).to_pylist()
        for a, b in zip(left, right):
            if isinstance(a, float) and isinstance(b, float):
                if not (a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=0) or math.isnan(a) and math.isnan(b)):
                    return False
            elif a != b:
                return False
    return True


# --- The report --------------------------------------------------------------------------------------------


def section(sizes: list[dict]) -> str:
    machine = nightly.machine_facts()
    settings = ", ".join(f"`{key}={value}`" for key, value in SETTINGS.items() if key != "spark.master")
    lines = [SECTION, "",
             f"`python benchmarks/spark.py` (part of `make bench`) on {machine['cpu']} x{machine['cores']}, "
             f"{machine['memory_gib']:.1f} GiB, Spark on `{MASTER}` with {settings}, "
             f"{datetime.now(timezone.utc):%Y-%m-%d}. The sample company's generated data mined with its purchase "
             "journey. Seconds are the work itself (the Spark session's start-up apart); peak RSS is the "
             "stage's process tree, the JVM and Spark's Python workers included. Ingest is DuckDB's on both "
             "routes: on Spark, the loaded events are handed to the warehouse as Parquet (ingest on Spark is not "
             "built yet).", ""]
    for size in sizes:
        stages = size["stages"]
        mined = stages["spark_mine"]["details"].get("timings", {})
        lines += [f"### {nightly.human(size['target'])} events ({size['events']:,} landing rows, "
                  f"{size['persons']:,} persons)", "",
                  "| stage | DuckDB s | Spark s | Spark / DuckDB | DuckDB peak MiB | Spark peak MiB |",
                  "|---|---:|---:|---:|---:|---:|"]
        rows = [("identities", stages["identities"], stages["spark_identities"], None)]
        for part in ("mine", "conformance", "export"):
            rows.append((part, stages[part], stages["spark_mine"], mined.get(part)))
        duckdb_total = spark_total = 0.0
        for name, ours, theirs, seconds in rows:
            spark_seconds = theirs["seconds"] if seconds is None else seconds
            duckdb_total += ours["seconds"]
            spark_total += spark_seconds
            lines.append(f"| {name} | {ours['seconds']:,.2f} | {spark_seconds:,.2f} | "
                         f"{spark_seconds / ours['seconds']:,.1f}x | {ours['peak_mib']:,.0f} | {theirs['peak_mib']:,.0f} |")
        hand_over = stages["hand_over"]
        lines += [f"| hand-over to the warehouse | | {hand_over['seconds']:,.2f} | | | {hand_over['peak_mib']:,.0f} |",
                  f"| **identities to files** | **{duckdb_total:,.2f}** | **{spark_total:,.2f}** | "
                  f"**{spark_total / duckdb_total:,.1f}x** | | |",
                  f"| ingest (DuckDB, both routes) | {stages['ingest']['seconds']:,.2f} | | | "
                  f"{stages['ingest']['peak_mib']:,.0f} | |", "",
                  "Output files equal on both engines: " + (
                      "all (tables row by row, summary.json but its timings)." if not size["differing"]
                      else "**no**, these differ: " + ", ".join(size["differing"]) + "."), ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
