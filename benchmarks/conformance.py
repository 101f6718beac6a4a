"""Benchmark: conformance (fitness and precision against the assumed journey) on many distinct journeys.

Writes path steps straight into a fresh DuckDB file, as `mine` leaves them, for synthetic journeys
through the definition's stages: random walks that stay in a stage, go on, skip ahead, go back,
enter late and end anywhere, consecutive repeats of a touchpoint merged as `collapse_repeats` does.
Then it times `run.conform` (reading the path steps, counting both figures, recording them), each
size in a fresh interpreter, and prints the seconds, journeys, variants, path steps, fitness and
precision. Writing the data is not timed.

    python benchmarks/conformance.py                        # 1.5M journeys, about 700k variants
    python benchmarks/conformance.py --journeys 100000,1500000 --doc docs/performance.md
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from journey_mining import db, definition, run, sql  # noqa: E402

DEFAULT_DEFINITION = REPOSITORY / "data_samples" / "definitions" / "purchase.yaml"
SECTION = "## Conformance at scale"
END_CHANCE = 0.055  # after each step
# after a step that does not end the journey: the same stage, the next, two or more ahead, back
MOVES = (0.40, 0.40, 0.10, 0.10)
LATE_ENTRY_CHANCE = 0.10  # the first step is in a stage after the first


def journeys_walked(journey: definition.Definition, count: int, seed: int) -> pa.Table:
    """One row per step (journey number, step, touchpoint number in the definition's order)."""
    rng = np.random.default_rng(seed)
    sizes = np.array([len(stage.touchpoints) for stage in journey.stages])
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    stages = len(sizes)
    walking = np.arange(count)
    stage = np.where(rng.random(count) < LATE_ENTRY_CHANCE, rng.integers(0, stages, count), 0)
    columns = {"journey": [], "step": [], "touchpoint": []}
    step = 0
    while len(walking):
        step += 1
        touchpoint = first[stage] + rng.integers(0, sizes[stage])
        columns["journey"].append(walking)
        columns["step"].append(np.full(len(walking), step))
        columns["touchpoint"].append(touchpoint)
        going_on = rng.random(len(walking)) >= END_CHANCE
        walking, stage = walking[going_on], stage[going_on]
        move = rng.choice(len(MOVES), len(walking), p=MOVES)
        ahead = np.minimum(stage + 2 + rng.integers(0, stages, len(walking)), stages - 1)
        behind = rng.integers(0, np.maximum(stage, 1))
        stage = np.select([move == 0, move == 1, move == 2], [stage, np.minimum(stage + 1, stages - 1), ahead], behind)
    return pa.table({name: np.concatenate(parts) for name, parts in columns.items()})


def load_path_steps(con, journey: definition.Definition, steps: pa.Table) -> None:
    """Path steps of the definition, each journey's consecutive repeats of a touchpoint merged."""
    for table in ("journeys/tables/journeys", "journeys/tables/journey_steps", "conformance/tables/conformance"):
        sql.run(con, table)
    con.register("walked", steps)
    con.execute("""
        insert into journey_steps
        with merged as (
            select * from walked
            qualify touchpoint is distinct from lag(touchpoint) over (partition by journey order by step)
        )
        select $definition, journey, row_number() over (partition by journey order by step), touchpoint,
               timestamptz '2026-01-01' + to_seconds(step)
        from merged
    """, {"definition": journey.name})
    con.unregister("walked")


def measure(journey: definition.Definition, journeys: int, seed: int, path: Path) -> dict:
    """run.conform's seconds and figures on `journeys` walked journeys written to a fresh database."""
    con = db.connect(path)
    load_path_steps(con, journey, journeys_walked(journey, journeys, seed))
    (steps,), = con.execute("select count(*) from journey_steps").fetchall()
    (variants,), = con.execute("select count(distinct path) from (select list(touchpoint_index order by step) "
                               "as path from journey_steps group by journey_key)").fetchall()
    started, cpu = time.perf_counter(), time.process_time()
    model = run.conform(con, journey)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    con.close()
    return {"journeys": journeys, "variants": variants, "steps": steps, "seconds": seconds, "cpu": cpu,
            "load": os.getloadavg()[0], "fitness": model.fitness, "precision": model.precision, "note": model.note}


def section(measured: list[dict], command: str) -> str:
    """The report's section: one row per size measured."""
    lines = [SECTION, "",
             "Written by this command (`make bench` keeps the section as it is):", "",
             f"    {command}", "",
             "It times `run.conform` (reading the variants from the path steps, counting fitness and precision,",
             "recording them; pm4py's import to build the assumed net included), each size in a fresh",
             "interpreter, on synthetic path steps written straight into a fresh DuckDB file: random walks",
             "through the stages of `data_samples/definitions/purchase.yaml` that stay in a stage, go on, skip",
             "ahead, go back, enter late and end anywhere, with many more distinct paths per journey than the",
             "nightly data above. Both figures are pm4py's token-based replay fitness and ETC precision, which",
             "tests/test_process_model.py holds to pm4py's own replay of every raw trace. CPU is the process's,",
             "DuckDB's threads included; load is the 1-minute load average when it ended.",
             f"Measured on {measured_on()}.", "",
             "| journeys | variants | path steps | seconds | CPU seconds | load | fitness | precision |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m in measured:
        lines.append(f"| {m['journeys']:,} | {m['variants']:,} | {m['steps']:,} | {m['seconds']:.2f} | {m['cpu']:.2f} "
                     f"| {m['load']:.2f} | {m['fitness']:.6f} | {m['precision']:.6f} |")
    return "\n".join(lines) + "\n"


def measured_on() -> str:
    """The day, the cores and the commit measured (with a note when the checkout has changes)."""
    def git(*arguments: str) -> str:
        return subprocess.run(["git", "-C", str(REPOSITORY), *arguments], capture_output=True, text=True).stdout.strip()

    changed = " with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return (f"{datetime.now(timezone.utc):%Y-%m-%d}, {os.cpu_count()} cores, commit "
            f"{git('rev-parse', '--short', 'HEAD') or 'unknown'}{changed}")


def write_section(doc: Path, heading: str, text: str) -> None:
    """Replace the report's section under `heading` with `text` (or add it at the end); benchmarks/twin.py
    writes its own section with it too."""
    report = doc.read_text(encoding="utf-8") if doc.exists() else ""
    start = report.find(heading + "\n")
    if start < 0:
        report = report.rstrip("\n") + "\n\n" + text if report else text
    else:
        end = report.find("\n## ", start + 1)
        report = report[:start] + text + (report[end:] if end >= 0 else "")
    doc.write_text(report, encoding="utf-8")


def measured_in_child(args, journeys: int) -> dict:
    """One size in a fresh interpreter, so that each pays pm4py's import, as a nightly job's step does."""
    command = [sys.executable, __file__, "--journeys", str(journeys), "--seed", str(args.seed),
               "--definition", str(args.definition), "--json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", default="1500000", help="sizes, comma-separated (default %(default)s)")
    parser.add_argument("--definition", type=Path, default=DEFAULT_DEFINITION)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--doc", type=Path, help=f"also write the figures as the section {SECTION!r} of this report")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one size, here, as JSON
    args = parser.parse_args()
    if args.json:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(measure(definition.load(args.definition), int(args.journeys), args.seed,
                                     Path(folder) / "conformance.duckdb")))
        return 0
    measured = []
    for journeys in (int(size) for size in args.journeys.split(",")):
        m = measured_in_child(args, journeys)
        measured.append(m)
        print(f"conformance: {m['seconds']:.2f} s ({m['cpu']:.2f} s CPU, load {m['load']:.2f}) for "
              f"{m['journeys']:,} journeys, {m['variants']:,} variants, {m['steps']:,} path steps; "
              f"fitness {m['fitness']}, precision {m['precision']}" + (f"; {m['note']}" if m["note"] else ""))
    if args.doc:
        command = "python benchmarks/conformance.py " + " ".join(sys.argv[1:])
        write_section(args.doc, SECTION, section(measured, command))
        print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
