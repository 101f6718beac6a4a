"""Ingest across processes: a run killed part-way, and two processes on one database file (SPEC section 1)."""

import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from journey_mining import db, definition, identity, ingest, mining
from journey_mining.errors import JourneyError

pytestmark = pytest.mark.slow

JOURNEYS = [sys.executable, "-m", "journey_mining.cli"]

# Opens the database the way any DuckDB client would, says so, and holds it until its stdin closes.
HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
con.close()
"""


def write_clicks(path: Path, prefix: str, count: int) -> Path:
    """`count` valid clickstream lines with event ids prefix-0 .. prefix-(count-1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            handle.write(f'{{"event_id": "{prefix}-{number}", "anonymous_id": "a{number % 5000}", '
                         f'"timestamp": "2024-03-01T10:00:00Z", "event": "page_view"}}\n')
    return path


def start_ingest(db_path: Path, *paths: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [*JOURNEYS, "ingest", "clickstream", *map(str, paths), "--db", str(db_path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


class Lines:
    """The lines a stream prints, readable with a time limit (a thread drains the pipe)."""

    def __init__(self, stream):
        self._stream = stream
        self._lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._reader.start()

    def _drain(self, stream) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            if line is None:
                raise AssertionError(f"the stream ended before {text!r}; it said {self.seen}")
            self.seen.append(line)
            if text in line:
                return line

    def close(self) -> None:
        """Once the process has ended: the stream is read to its end and closed."""
        self._reader.join(timeout=60)
        self._stream.close()


def reported(stdout: str) -> list[tuple]:
    """The per-file objects of `journeys ingest --json`."""
    objects = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return [(o["path"], o["read"], o["loaded"], o["duplicates"], o["quarantined"]) for o in objects]


def table_counts(db_path: Path) -> dict[str, int]:
    con = db.connect(db_path)
    try:
        return {table: con.execute(f"select count(*) from {table}").fetchall()[0][0]
                for table in ("events", "quarantine", "ingested_files")}
    finally:
        con.close()


def loaded_files(db_path: Path) -> list[tuple[str, int, int]]:
    con = db.connect(db_path)
    try:
        return con.execute('select path, "read", loaded from ingested_files order by file_id').fetchall()
    finally:
        con.close()


def test_a_run_killed_part_way_leaves_the_database_as_it_was(tmp_path):
    db_path = tmp_path / "journeys.duckdb"
    earlier = write_clicks(tmp_path / "earlier.jsonl", "old", 10)
    con = db.connect(db_path)
    ingest.ingest(con, "clickstream", [earlier])
    con.close()
    before = {"events": 10, "quarantine": 0, "ingested_files": 1}
    assert table_counts(db_path) == before
    big = tmp_path / "big"
    parts = [write_clicks(big / f"part-{n}.jsonl", f"p{n}", 60_000) for n in range(3)]

    # killed while staging: the first of three files is read, the run's transaction is open
    with start_ingest(db_path, big) as run:
        progress = Lines(run.stderr)
        progress.wait_for("[1/3]")
        run.send_signal(signal.SIGKILL)
        assert run.wait(timeout=60) == -signal.SIGKILL
        progress.close()
    assert table_counts(db_path) == before

    # killed once every file is staged, while the rows are typed, checked and loaded: either the run
    # had not committed (all as before) or it had (all of it); never part of it
    with start_ingest(db_path, big) as run:
        progress = Lines(run.stderr)
        progress.wait_for("[3/3]")
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        progress.close()
    assert table_counts(db_path) in (before, {"events": 180_010, "quarantine": 0, "ingested_files": 4})

    # the run again: every file fully loaded once
    again = subprocess.run([*JOURNEYS, "ingest", "clickstream", str(big), "--db", str(db_path), "--json"],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert reported(again.stdout) == [(str(p), 60_000, 60_000, 0, 0) for p in parts]
    assert table_counts(db_path) == {"events": 180_010, "quarantine": 0, "ingested_files": 4}
    assert loaded_files(db_path) == [(str(earlier), 10, 10)] + [(str(p), 60_000, 60_000) for p in parts]


def test_two_ingests_at_once_on_one_database_both_finish(tmp_path):
    db_path = tmp_path / "journeys.duckdb"
    first = write_clicks(tmp_path / "first.jsonl", "first", 10_000)
    second = write_clicks(tmp_path / "second.jsonl", "second", 10_000)

    runs = [start_ingest(db_path, first), start_ingest(db_path, second)]
    outputs = [run.communicate(timeout=120) for run in runs]

    # the second to open the file waits for the first (default lock wait) and then loads
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    assert table_counts(db_path) == {"events": 20_000, "quarantine": 0, "ingested_files": 2}
    assert sorted(loaded_files(db_path)) == [(str(first), 10_000, 10_000), (str(second), 10_000, 10_000)]


def test_two_ingests_of_the_same_folder_at_once_load_it_once(tmp_path):
    db_path = tmp_path / "journeys.duckdb"
    folder = tmp_path / "landing"
    for n in range(2):
        write_clicks(folder / f"day-{n}.jsonl", f"d{n}", 10_000)

    runs = [start_ingest(db_path, folder), start_ingest(db_path, folder)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    for stdout, _ in outputs:  # both report the counts of the one load
        assert reported(stdout) == [(str(folder / f"day-{n}.jsonl"), 10_000, 10_000, 0, 0) for n in range(2)]
    assert table_counts(db_path) == {"events": 20_000, "quarantine": 0, "ingested_files": 2}


@pytest.fixture
def holder(db_path):
    """Another process holding the database file open."""
    db.connect(db_path).close()  # the file exists with its schema
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as process:
        says = Lines(process.stdout)
        says.wait_for("holding")
        yield process
        if not process.stdin.closed:
            process.stdin.close()
        process.wait(timeout=30)
        says.close()


def test_connect_gives_up_after_the_lock_wait_naming_the_database(db_path, holder):
    started = time.monotonic()
    with pytest.raises(JourneyError) as failure:
        db.connect(db_path, lock_timeout_s=0.5)

    assert time.monotonic() - started >= 0.5
    message = str(failure.value)
    assert str(db_path) in message and "\n" not in message


def test_connect_waits_for_the_other_process(db_path, holder):
    releases = threading.Timer(1.0, holder.stdin.close)
    releases.start()
    started = time.monotonic()

    con = db.connect(db_path, lock_timeout_s=30)

    waited = time.monotonic() - started
    con.close()
    releases.join()
    assert waited >= 0.9


def test_the_command_line_fails_in_one_line_when_the_database_stays_busy(tmp_path, db_path, holder):
    path = write_clicks(tmp_path / "clicks.jsonl", "e", 10)
    env = {**os.environ, "JOURNEYS_LOCK_TIMEOUT": "0.5"}

    run = subprocess.run([*JOURNEYS, "ingest", "clickstream", str(path), "--db", str(db_path)],
                         capture_output=True, text=True, env=env, timeout=60)

    assert run.returncode == 1
    assert len(run.stderr.strip().splitlines()) == 1
    assert str(db_path) in run.stderr and "Traceback" not in run.stderr
    holder.stdin.close()
    holder.wait(timeout=30)
    assert table_counts(db_path) == {"events": 0, "quarantine": 0, "ingested_files": 0}


SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
KILLS = 21
DAYS = sorted((SAMPLES / "landing").iterdir())
# The command under attack: the sample's last two days of clickstream onto a database holding the rest
NIGHT = [*JOURNEYS, "ingest", "clickstream", *(str(day / "clickstream") for day in DAYS[1:])]


def stored_and_mined(db_path: Path) -> dict[str, list[tuple]]:
    """Events, persons and identities as stored, and the sample purchase journey mined from them."""
    con = db.connect(db_path)
    try:
        rows = {table: sorted(con.execute(f"select * from {table}").fetchall(), key=repr)
                for table in ("events", "quarantine", "persons", "identities", "oversize_components")}
        rows["ingested_files"] = con.execute(
            'select file_id, path, source, sha256, "read", loaded, duplicates, quarantined from ingested_files '
            "order by file_id").fetchall()
        journey = definition.load(SAMPLES / "definitions" / "purchase.yaml")
        mining.mine(con, journey)
        for table in mining.PERSON_TABLES + mining.SUMMED_TABLES:
            exclude = " exclude (mined_at)" if table == "mining_runs" else ""
            rows[table] = sorted(con.execute(f"select *{exclude} from {table}").fetchall(), key=repr)
        return rows
    finally:
        con.close()


def test_an_ingest_killed_at_random_moments_and_run_again_gives_what_one_run_gives(tmp_path):
    base = tmp_path / "base.duckdb"
    con = db.connect(base)
    ingest.ingest(con, "crm", [day / "crm" for day in DAYS])
    ingest.ingest(con, "clickstream", [DAYS[0] / "clickstream"])
    identity.build_persons(con)
    con.close()

    whole = tmp_path / "whole.duckdb"
    shutil.copy(base, whole)
    started = time.monotonic()
    with subprocess.Popen([*NIGHT, "--db", str(whole)], stderr=subprocess.PIPE, text=True) as run:
        progress = Lines(run.stderr)
        progress.wait_for("building persons")
        building = time.monotonic()
        assert run.wait(timeout=120) == 0
        progress.close()
    run_s, persons_s = time.monotonic() - started, time.monotonic() - building
    expected = stored_and_mined(whole)

    moments = random.Random(11)
    between_commits = 0
    for kill in range(KILLS):
        attacked = tmp_path / f"attacked-{kill}.duckdb"
        shutil.copy(base, attacked)
        with subprocess.Popen([*NIGHT, "--db", str(attacked)], stderr=subprocess.PIPE, text=True) as run:
            progress = Lines(run.stderr)
            if kill % 3 == 0:  # anywhere in the run
                time.sleep(moments.uniform(0, run_s))
            elif kill % 3 == 1:  # while files are staged and loaded
                progress.wait_for("[1/2]")
                time.sleep(moments.uniform(0, run_s / 4))
            else:  # the events committed, persons being built: half of these at once
                progress.wait_for("building persons")
                time.sleep(0 if kill % 2 else moments.uniform(0, persons_s))
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=60)
            progress.close()
        con = db.connect(attacked)
        events_in = con.execute("select count(*) from ingested_files").fetchone()[0] > 4
        between_commits += events_in and not identity.persons_up_to_date(con)
        con.close()

        again = subprocess.run([*NIGHT, "--db", str(attacked)], capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert stored_and_mined(attacked) == expected, f"kill {kill}"
        attacked.unlink()
    assert between_commits >= 3  # the loop did stop runs between the events' commit and the persons'


def test_mining_refuses_persons_older_than_the_events(tmp_path, db_path):
    path = write_clicks(tmp_path / "clicks.jsonl", "e", 10)
    con = db.connect(db_path)
    ingest.ingest(con, "clickstream", [path])  # as a run stopped before its persons would leave it
    con.close()

    run = subprocess.run([*JOURNEYS, "mine", str(SAMPLES / "definitions" / "purchase.yaml"), "--db", str(db_path),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)

    assert run.returncode == 1
    said = [line for line in run.stderr.splitlines() if line.startswith("journeys:")]
    assert len(said) == 1 and "Traceback" not in run.stderr
    assert str(db_path) in said[0] and "persons are older than the loaded events" in said[0]
    assert not (tmp_path / "out").exists()
