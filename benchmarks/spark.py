"""Benchmark: the Spark engine beside DuckDB, at 1M and 10M events on local[2] (make bench).

For each size it takes the default shape's landing data of benchmarks/nightly.py (generated, or cached in the
work folder) and runs, each stage in a child process of its own (seconds of the work, peak RSS of the child's
process tree, the JVM included):

    ingest          both sources into a fresh DuckDB file (DuckDB's ingest, as the nightly benchmark runs it)
    identities, mine, conformance, export
                    the DuckDB engine (nightly.py's stages)
    spark ingest    both sources into a warehouse of Parquet files (spark.ingest_files: the product's ingest
                    in the driver, the warehouse's events appended by Spark)
    spark identities
                    persons on Spark (spark.build_persons)
    spark mine      spark.mine_definition: the per-person tables in Spark buckets and the sums over everyone
                    on Spark, then the alerts, conformance and files by the driver's DuckDB; split as its
                    summary.json times it (mine, conformance, export)

then compares every output file of the two engines (tables row by row, floats to the last bit); and builds the
persons of one chain of identifiers (--chain, 100,000 by default: a1 - u1 - a2 - u2 - …, its least identifier at
the far end) on both engines, their label rounds and seconds. It writes the section "## The Spark engine" of the
report.

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
SPARK_STAGES = ("spark_ingest", "spark_identities", "spark_mine")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="1M,10M", help="comma-separated sizes in events (default %(default)s)")
    parser.add_argument("--work", type=Path, default=nightly.DEFAULT_WORK,
                        help="work folder, the landing data cached here as nightly.py caches it (default %(default)s)")
    parser.add_argument("--doc", type=Path, help=f"write the figures as the section {SECTION!r} of this report")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chain", type=int, default=100_000, help="identifiers in the chain (default %(default)s)")
    parser.add_argument("--child", nargs=2, metavar=("STAGE", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return nightly.run_child(*args.child, stages=STAGES)
    os.environ.setdefault("JOURNEYS_HASH_KEY", "benchmark-pseudonymisation-key")
    args.regenerate, args.generator = False, nightly.generator_fingerprint()
    args.work.mkdir(parents=True, exist_ok=True)
    per_person = nightly.events_per_person(args.work, args.seed, args.generator, "default")
    sizes = [measure(nightly.parse_size(text), per_person, args) for text in args.events.split(",") if text.strip()]
    text = section(sizes, measure_chain(args))
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
            "stages": {name: {"seconds": s.seconds, "wall": s.wall_seconds, "peak_mib": s.peak_rss_mib, "load": s.load,
                              "failed": s.failed, "details": s.details} for name, s in stages.items()}}


def measure_chain(args: argparse.Namespace) -> dict:
    """Persons of one chain of `args.chain` identifiers on both engines (stages chain and spark_chain)."""
    folder = args.work / "spark-chain"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pairs = args.chain // 2
    events = folder / "chain.jsonl"
    with events.open("w") as out:  # a_i - u_i on one event, u_i - a_(i-1) on the next: the least, a0, comes last
        for i in range(pairs, 0, -1):
            for side, anonymous in enumerate((i, i - 1)):
                out.write(json.dumps({"event_id": f"e{i}-{side}", "timestamp": "2026-10-01T00:00:00Z",
                                      "event": "page_view", "anonymous_id": f"a{anonymous:09d}",
                                      "user_id": f"u{i:09d}"}) + "\n")
    spec = {"events": str(events), "db": str(folder / "chain.duckdb"), "warehouse": str(folder / "warehouse")}
    try:
        return {"identifiers": 2 * pairs + 1, **{name: nightly.run_stage(name, spec, "[spark chain]", script=Path(__file__))
                                                 for name in ("chain", "spark_chain")}}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- The children ------------------------------------------------------------------------------------


def spark_session():
    from journey_mining import spark

    return spark.session(SETTINGS)


def stage_spark_ingest(spec: dict) -> tuple[float, dict]:
    """Both sources' landing folders into the warehouse (spark.ingest_files), as the nightly benchmark ingests them."""
    from journey_mining import spark

    session = spark_session()
    started = time.perf_counter()
    warehouse = spark.Warehouse(session, spec["warehouse"])
    loaded = 0
    for source in nightly.SOURCES:
        folders = sorted(str(folder) for folder in Path(spec["landing"]).glob(f"*/{source}") if folder.is_dir())
        loaded += sum(counts.loaded for counts in spark.ingest_files(warehouse, source, folders,
                                                                     now=nightly.INGEST_NOW))
    seconds = time.perf_counter() - started
    session.stop()
    return seconds, {"loaded": loaded}


def stage_spark_identities(spec: dict) -> tuple[float, dict]:
    from journey_mining import spark

    session = spark_session()
    started = time.perf_counter()
    warehouse = spark.Warehouse(session, spec["warehouse"])
    warehouse.show("events")
    rounds = spark.build_persons(warehouse, os.environ["JOURNEYS_HASH_KEY"].encode("utf-8")).rounds
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
    steps = {}
    summary = spark.mine_definition(warehouse, journey, Path(spec["spark_out"]),
                                    progress=lambda step: steps.setdefault(step, time.perf_counter() - started))
    seconds = time.perf_counter() - started
    session.stop()
    # Spark's part of mine (the per-person tables, the sums, the twin and personas) and the driver's (alerts)
    on_spark = steps["alerts and trends"] - steps["mining journeys"]
    return seconds, {"timings": summary["timings_s"], "journeys": summary["journeys"], "on_spark": on_spark,
                     "alerts": summary["timings_s"]["mine"] - on_spark}


def stage_chain(spec: dict) -> tuple[float, dict]:
    """The chain's persons on DuckDB (identity.build_persons, after its ingest)."""
    from journey_mining import db, identity, ingest

    con = db.connect(spec["db"])
    ingest.ingest(con, "clickstream", [spec["events"]], now=nightly.INGEST_NOW)
    started = time.perf_counter()
    report = identity.build_persons(con)
    seconds = time.perf_counter() - started
    con.close()
    return seconds, {"rounds": report.rounds, "persons": report.persons}


def stage_spark_chain(spec: dict) -> tuple[float, dict]:
    """The chain's persons on Spark (spark.build_persons, after spark.ingest_files)."""
    from journey_mining import spark

    session = spark_session()
    warehouse = spark.Warehouse(session, spec["warehouse"])
    spark.ingest_files(warehouse, "clickstream", [spec["events"]], now=nightly.INGEST_NOW)
    started = time.perf_counter()
    report = spark.build_persons(warehouse, os.environ["JOURNEYS_HASH_KEY"].encode("utf-8"))
    seconds = time.perf_counter() - started
    session.stop()
    return seconds, {"rounds": report.rounds, "persons": report.persons}


STAGES = {"spark_ingest": stage_spark_ingest, "spark_identities": stage_spark_identities, "spark_mine": stage_spark_mine,
          "chain": stage_chain, "spark_chain": stage_spark_chain}


# --- Comparing the outputs -------------------------------------------------------------------------------


def differing_files(ours: Path, theirs: Path) -> list[str]:
    """The output files that differ between the engines: tables row by row (floats to the last bit),
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
                if not (a == b or math.isnan(a) and math.isnan(b)):
                    return False
            elif a != b:
                return False
    return True


# --- The report --------------------------------------------------------------------------------------------


def section(sizes: list[dict], chain: dict) -> str:
    machine = nightly.machine_facts()
    settings = ", ".join(f"`{key}={value}`" for key, value in SETTINGS.items() if key != "spark.master")
    lines = [SECTION, "",
             f"`python benchmarks/spark.py` (part of `make bench`) on {machine['cpu']} x{machine['cores']}, "
             f"{machine['memory_gib']:.1f} GiB, {datetime.now(timezone.utc):%Y-%m-%d}: Spark on `{MASTER}` with "
             f"{settings}, beside DuckDB on the same cores. The sample company's generated data mined with its "
             "purchase journey. Seconds are the work itself (the Spark session's start-up apart); peak RSS is the "
             "stage's process tree, the JVM and Spark's Python workers included.", ""]
    for size in sizes:
        lines += size_table(size)
    measured = [size for size in sizes if not any(stage["failed"] for stage in size["stages"].values())]
    lines += chain_table(chain)
    if measured:
        lines += projection(max(measured, key=lambda size: size["events"]))
    return "\n".join(lines) + "\n"


def chain_table(chain: dict) -> list[str]:
    lines = [f"### Identity on one chain of {chain['identifiers']:,} identifiers", "",
             "One person's identifiers linked in a line, a1 - u1 - a2 - u2 - …, the least at the far end: label "
             "propagation alone would need a round per link; with pointer jumping the rounds grow with the "
             "logarithm of the chain's length "
             f"(log2 of {chain['identifiers']:,} is {math.log2(chain['identifiers']):.1f}).", "",
             "| engine | label rounds | seconds | peak MiB |", "|---|---:|---:|---:|"]
    for engine, name in (("DuckDB", "chain"), ("Spark", "spark_chain")):
        stage = chain[name]
        lines.append(f"| {engine} | {stage.details.get('rounds', 'failed')} | {stage.seconds:,.2f} | "
                     f"{stage.peak_rss_mib:,.0f} |")
    return lines + [""]


def size_table(size: dict) -> list[str]:
    stages = size["stages"]
    lines = [f"### {nightly.human(size['target'])} events ({size['events']:,} landing rows, {size['persons']:,} persons)",
             ""]
    failed = [f"{name}: {stage['failed']}" for name, stage in stages.items() if stage["failed"]]
    if failed:
        return lines + [f"Not measured: {'; '.join(failed)}.", ""]
    mined = stages["spark_mine"]["details"]
    spark_seconds = {"identities": stages["spark_identities"]["seconds"], **mined["timings"]}
    lines += ["| stage | DuckDB s | Spark s | Spark / DuckDB | DuckDB peak MiB | Spark peak MiB |",
              "|---|---:|---:|---:|---:|---:|"]
    spark_seconds = {"ingest": stages["spark_ingest"]["seconds"], **spark_seconds}
    for name, theirs in (("ingest", "spark_ingest"), ("identities", "spark_identities"), ("mine", "spark_mine"),
                         ("conformance", "spark_mine"), ("export", "spark_mine")):
        ours = stages[name]
        lines.append(f"| {name} | {ours['seconds']:,.2f} | {spark_seconds[name]:,.2f} | "
                     f"{spark_seconds[name] / ours['seconds']:,.1f}x | {ours['peak_mib']:,.0f} | "
                     f"{stages[theirs]['peak_mib']:,.0f} |")
    duckdb_total = sum(stages[name]["seconds"] for name in ("ingest", *DUCKDB_STAGES))
    spark_total = sum(spark_seconds.values())
    lines += [f"| **ingest to files** | **{duckdb_total:,.2f}** | **{spark_total:,.2f}** | "
              f"**{spark_total / duckdb_total:,.1f}x** | | |", "",
              f"Of Spark's mine, {mined['on_spark']:,.2f} s ran on Spark (the per-person tables, the sums, the twin and "
              f"personas) and {mined['alerts']:,.2f} s in the driver (the alerts and trends, with the copy of the "
              "mined tables they read). Spark's ingest reads the files in the driver (the product's own ingest) and "
              "appends its rows to the warehouse. The 1-minute load average when each stage ended: DuckDB's "
              f"{load_range(stages, ('ingest', *DUCKDB_STAGES))}, Spark's {load_range(stages, SPARK_STAGES)} "
              f"(on {os.cpu_count()} cores: above that, other work was running beside it).", "",
              "Output files equal on both engines: " + (
                  "all (tables row by row, floats to the last bit; summary.json but its timings)."
                  if not size["differing"] else "**no**, these differ: " + ", ".join(size["differing"]) + "."), ""]
    return lines


def load_range(stages: dict, names: tuple[str, ...]) -> str:
    loads = [stages[name]["load"] for name in names]
    return f"{min(loads):.1f} to {max(loads):.1f}"


def projection(size: dict) -> list[str]:
    """Seconds a night of 1 and 10 billion events would take, projected from one measured size."""
    stages, millions = size["stages"], size["events"] / 1e6
    cores = int(MASTER.strip("local[]"))
    mined = stages["spark_mine"]["details"]
    on_spark = (stages["spark_identities"]["seconds"] + mined["on_spark"]) * cores / millions  # core-seconds per 1M
    driver = (stages["spark_ingest"]["seconds"] + mined["alerts"] + mined["timings"]["conformance"]
              + mined["timings"]["export"]) / millions  # seconds per 1M, on one machine
    lines = ["### Sizing, projected", "",
             f"A projection, not a measurement. At {nightly.human(size['target'])} events, the work on Spark (persons, "
             f"the per-person tables, the sums, the twin and personas) took {on_spark:,.1f} core-seconds per million "
             f"events, and the driver's steps (ingest, alerts and trends, conformance, the output files) "
             f"{driver:,.2f} seconds per million events. Multiplied out, assuming Spark's work spreads evenly over "
             "the executors' cores (persons by buckets; identity's rounds grow with the logarithm of the longest "
             "chain of identifiers, not with the events) and the driver's steps grow with the events on one "
             "machine as fast as this one:", "",
             "| events a night | executor cores | on Spark | in the driver | total |", "|---|---:|---:|---:|---:|"]
    for events, executor_cores in ((1e9, 64), (1e9, 256), (1e10, 256), (1e10, 1024)):
        spark_s, driver_s = on_spark * events / 1e6 / executor_cores, driver * events / 1e6
        lines.append(f"| {nightly.human(int(events))} | {executor_cores} | {spark_s / 60:,.0f} min | "
                     f"{driver_s / 60:,.0f} min | {(spark_s + driver_s) / 60:,.0f} min |")
    return lines + [""]


if __name__ == "__main__":
    sys.exit(main())
