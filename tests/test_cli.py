"""The `journeys ingest` and `journeys mine` command line (SPEC section 7), run as a real process."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from journey_mining import db

pytestmark = pytest.mark.slow

JOURNEYS = [sys.executable, "-m", "journey_mining.cli"]
SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


def journeys(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*JOURNEYS, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def click(event_id: str, timestamp: str = "2024-03-01T10:00:00Z") -> dict:
    return {"event_id": event_id, "anonymous_id": "a1", "timestamp": timestamp, "event": "page_view"}


def stored(db_path, query: str) -> list[tuple]:
    con = db.connect(db_path, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture
def two_files(landing):
    first = landing.jsonl("a.jsonl", [click("e1"), click("e1"), click("e2")])   # 3 read, 2 loaded, 1 duplicate
    second = landing.csv("b.csv", ["event_id", "anonymous_id", "timestamp", "event"],
                         [["e3", "a2", "2024-03-01", "signup"], ["e4", "a2", "2024-03-02", "signup"]])
    return first, second


def test_ingest_prints_the_counts_of_each_file(two_files, db_path):
    first, second = two_files

    run = journeys("ingest", "clickstream", first, second, "--db", db_path)

    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    header = next(line for line in lines if "read" in line)
    assert [word for word in ("read", "loaded", "duplicates", "quarantined") if word in header] == [
        "read", "loaded", "duplicates", "quarantined"]
    for path, expected in ((first, [3, 2, 1, 0]), (second, [2, 2, 0, 0])):
        line = next(line for line in lines if str(path) in line)
        after_path = line.split(str(path), 1)[1]
        assert [int(n) for n in re.findall(r"\d+", after_path)][:4] == expected
    assert stored(db_path, "select count(*) from events") == [(4,)]


def test_ingest_json_reports_one_object_per_file_and_the_first_load_again(two_files, db_path):
    first, second = two_files
    expected = [
        {"path": str(first), "source": "clickstream", "read": 3, "loaded": 2, "duplicates": 1, "quarantined": 0},
        {"path": str(second), "source": "clickstream", "read": 2, "loaded": 2, "duplicates": 0, "quarantined": 0},
    ]

    run = journeys("ingest", "clickstream", first, second, "--db", db_path, "--json")
    again = journeys("ingest", "clickstream", first, second, "--db", db_path, "--json")

    assert (run.returncode, again.returncode) == (0, 0), run.stderr + again.stderr
    assert [json.loads(line) for line in run.stdout.splitlines()] == expected
    assert [json.loads(line) for line in again.stdout.splitlines()] == expected
    assert stored(db_path, "select count(*) from events") == [(4,)]
    assert stored(db_path, "select count(*) from ingested_files") == [(2,)]


def test_ingest_reads_naive_times_in_the_declared_zone(landing, db_path):
    path = landing.jsonl("crm.jsonl", [{"event_id": "c1", "customer_id": "k1", "timestamp": "2024-01-15 12:00:00",
                                        "object": "order", "action": "created"}])

    run = journeys("ingest", "crm", path, "--db", db_path, "--tz", "Europe/Berlin")

    assert run.returncode == 0, run.stderr
    # 12:00 in Berlin in January (UTC+1) is 11:00 UTC
    assert stored(db_path, "select strftime(occurred_at, '%Y-%m-%dT%H:%M:%S') from events") == [
        ("2024-01-15T11:00:00",)]


def test_the_database_is_db_else_journeys_db_else_journeys_duckdb_here(landing, tmp_path, monkeypatch):
    path = landing.jsonl("clicks.jsonl", [click("e1")])
    here = tmp_path / "work"
    here.mkdir()

    assert journeys("ingest", "clickstream", path, cwd=here).returncode == 0
    assert (here / "journeys.duckdb").exists()

    monkeypatch.setenv("JOURNEYS_DB", str(tmp_path / "from_env.duckdb"))
    assert journeys("ingest", "clickstream", path, cwd=here).returncode == 0
    assert stored(tmp_path / "from_env.duckdb", "select count(*) from events") == [(1,)]

    assert journeys("ingest", "clickstream", path, "--db", tmp_path / "given.duckdb", cwd=here).returncode == 0
    assert stored(tmp_path / "given.duckdb", "select count(*) from events") == [(1,)]
    assert sorted(p.name for p in tmp_path.glob("*.duckdb")) == ["from_env.duckdb", "given.duckdb"]


@pytest.mark.parametrize("arguments", [
    ["ingest", "weblogs", "clicks.jsonl"],
    ["ingest", "clickstream"],
    ["ingest", "clickstream", "clicks.jsonl", "--no-such-option"],
    [],
], ids=["unknown source", "no path", "unknown option", "no command"])
def test_bad_usage_exits_2(arguments, tmp_path):
    run = journeys(*arguments, cwd=tmp_path)

    assert run.returncode == 2
    assert "usage" in run.stderr.lower()
    assert not (tmp_path / "journeys.duckdb").exists()


def test_a_missing_file_fails_in_one_line(tmp_path, db_path):
    run = journeys("ingest", "clickstream", tmp_path / "nowhere.jsonl", "--db", db_path)

    assert run.returncode == 1
    assert len(run.stderr.strip().splitlines()) == 1
    assert "nowhere.jsonl" in run.stderr and "Traceback" not in run.stderr


def test_a_file_above_the_quarantine_threshold_fails_naming_it(landing, db_path):
    good = landing.jsonl("good.jsonl", [click(f"g{n}") for n in range(5)])
    bad = landing.jsonl("bad.jsonl", [click("b1"), click("b2", timestamp="never")])  # 50 % quarantined

    run = journeys("ingest", "clickstream", good, bad, "--db", db_path)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    reason = run.stderr.strip().splitlines()[-1]
    assert str(bad) in reason
    assert stored(db_path, "select count(*) from events") == [(0,)]
    assert stored(db_path, "select count(*) from ingested_files") == [(0,)]


def test_a_traceback_only_with_debug(tmp_path, db_path):
    run = journeys("ingest", "clickstream", tmp_path / "nowhere.jsonl", "--db", db_path, "--debug")

    assert run.returncode == 1
    assert "Traceback" in run.stderr and "nowhere.jsonl" in run.stderr


def test_an_unknown_time_zone_is_refused_in_one_line(landing, db_path):
    path = landing.jsonl("clicks.jsonl", [click("e1")])

    run = journeys("ingest", "clickstream", path, "--db", db_path, "--tz", "Mars/Olympus")

    assert run.returncode in (1, 2)  # a failed run or bad usage; either way one line, no traceback
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Mars/Olympus" in run.stderr and "Traceback" not in run.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB file system of its own (tmpfs), full long before the sample day's events are stored."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_is_said_as_such_naming_the_file(small_disk):
    day = SAMPLES / "landing" / "2026-10-01" / "clickstream"
    db_path = small_disk / "journeys.duckdb"

    run = journeys("ingest", "clickstream", day, "--db", db_path)

    assert run.returncode == 1
    said = [line for line in run.stderr.splitlines() if line.startswith("journeys:")]
    assert len(said) == 1 and "Traceback" not in run.stderr, run.stderr
    assert "no space left on device" in said[0] and str(small_disk) in said[0], said[0]
    assert "rollback" not in said[0]


# --- mine: no silent empties --------------------------------------------------------------------------

UNMATCHED = """\
name: purchase
stages:
  - name: Awareness
    touchpoints:
      - {name: Ad click, match: {event: ad_click}}
      - {name: Blog, match: {event: blog}}
  - name: Consideration
    touchpoints:
      - {name: Sales call, match: {event: sales_cal}}
  - name: Purchase
    touchpoints:
      - {name: Order, match: {event: Order}, goal: true}
funnels:
  - {name: ad_to_blog, steps: [Ad click, Blog]}
  - {name: ad_to_order, steps: [Ad click, Order]}
  - {name: call_to_order, steps: [Sales call, Order]}
"""


def test_mine_refuses_a_database_that_does_not_exist_and_leaves_none_behind(tmp_path, monkeypatch):
    (tmp_path / "purchase.yaml").write_text(UNMATCHED)
    typo = tmp_path / "typo.duckdb"
    monkeypatch.delenv("JOURNEYS_DB", raising=False)

    given = journeys("mine", tmp_path / "purchase.yaml", "--db", typo, "--out", tmp_path / "out")
    default = journeys("mine", tmp_path / "purchase.yaml", cwd=tmp_path)

    for run, path in ((given, typo), (default, "journeys.duckdb")):
        assert run.returncode == 1
        assert run.stderr.splitlines() == [
            f"journeys: {path}: no such database; run `journeys ingest` first to load events into it"]
    assert [p.name for p in tmp_path.iterdir()] == ["purchase.yaml"]


def test_mine_fails_on_a_database_without_events(tmp_path, db_path):
    (tmp_path / "purchase.yaml").write_text(UNMATCHED)
    db.connect(db_path).close()  # what an ingest of nothing leaves: the schema, no events

    run = journeys("mine", tmp_path / "purchase.yaml", "--db", db_path, "--out", tmp_path / "out")

    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == f"journeys: {db_path}: no events: run `journeys ingest` first"
    assert not (tmp_path / "out").exists()


def test_touchpoints_that_matched_no_event_are_a_warning_in_the_terminal_summary_and_report(landing, tmp_path,
                                                                                            db_path):
    # Sales call matches `sales_cal` (a typo for sales_call) and Order matches `Order` (the event is `order`):
    # both match none of the four events. Only the funnels ad_to_order and call_to_order have such a step.
    path = landing.jsonl("clicks.jsonl", [{**click(f"e{n}", f"2024-03-01T10:0{n}:00Z"), "event": event}
                                         for n, event in enumerate(["ad_click", "blog", "sales_call", "order"])])
    (tmp_path / "purchase.yaml").write_text(UNMATCHED)
    assert journeys("ingest", "clickstream", path, "--db", db_path).returncode == 0

    run = journeys("mine", tmp_path / "purchase.yaml", "--db", db_path, "--out", tmp_path / "out")

    warning = ("purchase: 2 touchpoints matched no event: Sales call, Order; funnels with such a step: "
               "ad_to_order, call_to_order — check their match")
    assert run.returncode == 0, run.stderr
    assert [line for line in run.stderr.splitlines() if "warning" in line] == [f"warning: {warning}"]
    summary = json.loads((tmp_path / "out" / "purchase" / "summary.json").read_text(encoding="utf-8"))
    assert summary["warnings"] == [warning]
    page = (tmp_path / "out" / "purchase" / "report.html").read_text(encoding="utf-8")
    assert f'<p class="warning">{warning}</p>' in page.split("</header>")[0]


def test_mine_writes_into_journeys_out_when_no_out_is_given(landing, tmp_path, db_path):
    path = landing.jsonl("clicks.jsonl", [{**click(f"e{n}", f"2024-03-01T10:0{n}:00Z"), "event": event}
                                         for n, event in enumerate(["ad_click", "blog", "sales_call", "order"])])
    (tmp_path / "purchase.yaml").write_text(UNMATCHED)
    assert journeys("ingest", "clickstream", path, "--db", db_path).returncode == 0

    run = journeys("mine", tmp_path / "purchase.yaml", "--db", db_path, cwd=tmp_path,
                   env={**os.environ, "JOURNEYS_OUT": str(tmp_path / "exports")})

    assert run.returncode == 0, run.stderr
    assert (tmp_path / "exports" / "purchase" / "summary.json").is_file()
    assert not (tmp_path / "journeys_out").exists()


def test_mine_xlsx_writes_every_table_as_a_sheet_with_formulas_quoted(landing, tmp_path, db_path):
    path = landing.jsonl("clicks.jsonl", [{**click(f"e{n}", f"2024-03-01T10:0{n}:00Z"), "event": event}
                                         for n, event in enumerate(["ad_click", "blog", "sales_call", "order"])])
    (tmp_path / "purchase.yaml").write_text(UNMATCHED.replace("Blog", "'=Blog'"))
    assert journeys("ingest", "clickstream", path, "--db", db_path).returncode == 0

    plain = journeys("mine", tmp_path / "purchase.yaml", "--db", db_path, "--out", tmp_path / "plain")
    run = journeys("mine", tmp_path / "purchase.yaml", "--db", db_path, "--out", tmp_path / "out", "--xlsx")

    assert plain.returncode == 0 and run.returncode == 0, run.stderr
    assert not (tmp_path / "plain" / "purchase" / "stage_kpis.xlsx").exists()
    workbook = openpyxl.load_workbook(tmp_path / "out" / "purchase" / "stage_kpis.xlsx")
    assert workbook.sheetnames == ["stage_kpis", "touchpoint_kpis", "transitions", "variants", "deviations",
                                   "conformance", "funnels", "feelings", "attribution", "twin_stages",
                                   "twin_transitions", "segments", "segment_stage_kpis", "personas", "alerts",
                                   "trends"]
    touchpoints = list(workbook["touchpoint_kpis"].iter_rows(values_only=True))
    assert ("purchase", "'=Blog") == touchpoints[2][:2] and touchpoints[2][3] == 1  # its one event, as text
