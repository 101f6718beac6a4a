"""`journeys mine` stopped at any moment: the output folder holds one whole run's files, never a mix
(SPEC section 1: a mining run's output folder is replaced whole or not at all)."""

import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from journey_mining import db, identity, ingest
from journey_mining.columns import SOURCES

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
DEFINITION = SAMPLES / "definitions" / "purchase.yaml"
KILLS = 8


def mine(db_path: Path, out: Path, *period: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "journey_mining.cli", "mine", str(DEFINITION), "--db", str(db_path),
                             "--out", str(out), *period], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def folder_content(folder: Path) -> dict[str, bytes]:
    """Every file of the folder; summary.json and report.html without their timings, which differ from run to
    run; of the discovered model only that it is there (pm4py names and orders its elements anew each run)."""
    content = {}
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        if path.name == "summary.json":
            data = re.sub(rb'"timings_s": {[^}]*}', b"", data)
        elif path.name == "report.html":
            data = re.sub(rb"Timings: .*?\. Versions", b"Versions", data)
        elif path.name.startswith("discovered_model."):
            data = b"present"
        content[path.name] = data
    return content


def differing(content: dict[str, bytes], other: dict[str, bytes]) -> list[str]:
    return sorted(name for name in content.keys() | other.keys() if content.get(name) != other.get(name))


def wait_for(run: subprocess.Popen, text: str) -> None:
    for line in run.stderr:
        if text in line:
            return
    raise AssertionError(f"`journeys mine` ended before saying {text!r}")


def test_a_mining_run_killed_at_any_moment_leaves_one_whole_run_in_the_folder(tmp_path):
    db_path, out = tmp_path / "journeys.duckdb", tmp_path / "out"
    con = db.connect(db_path)
    for day in sorted((SAMPLES / "landing").iterdir()):
        for source in SOURCES:
            ingest.ingest(con, source, [day / source])
    identity.build_persons(con)
    con.close()
    later = ("--since", "2026-10-02")  # a second run whose files all differ from the first's

    timed = {}
    for period in ((), later):
        started = time.monotonic()
        with mine(db_path, out, *period) as run:
            wait_for(run, "writing files")
            writing = time.monotonic()
            run.stderr.read()
            assert run.wait(timeout=300) == 0
        timed[period] = (writing - started, time.monotonic() - writing)
        if not period:
            first = folder_content(out / "purchase")
    second = folder_content(out / "purchase")
    assert first.keys() == second.keys() and all(first[name] != second[name] for name in
                                                 ("stage_kpis.csv", "journeys.parquet", "summary.json"))

    moments = random.Random(3)
    for kill in range(KILLS):
        period = () if kill % 2 else later  # the folder holds the other period's run before each kill
        before_writing, writing_s = timed[period]
        with mine(db_path, out, *period) as run:
            if kill % 4 < 2:  # while the files are written
                wait_for(run, "writing files")
                time.sleep(moments.uniform(0, writing_s))
            else:  # anywhere
                time.sleep(moments.uniform(0, before_writing + writing_s))
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=60)
            run.stderr.close()
        left = folder_content(out / "purchase")
        assert left in (first, second), (f"kill {kill}: not the first run's {differing(left, first)}, "
                                         f"not the second's {differing(left, second)}")

    with mine(db_path, out) as run:  # a run after the kills leaves nothing of theirs behind
        run.stderr.read()
        assert run.wait(timeout=300) == 0
    assert folder_content(out / "purchase") == first
    assert sorted(path.name for path in out.iterdir()) == ["purchase"]
