"""The demo: the nightly Dagster job over every landing day, then a summary an analyst reads."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance

from pipelines import demo

# Two landing days. 2026-10-01: 20 clickstream lines (19 loaded, the first again as a duplicate)
# and 2 CRM rows; visitor v1 logs in as u1, customer C1 is u1 in the CRM, customer C2 is alone.
# 2026-10-02: 20 clickstream lines of visitor v2 (19 loaded, one without timestamp: quarantined).
#
# The bundled purchase journey (data_samples/definitions/purchase.yaml) sees two journeys:
#   v1 = C1  Blog 07:01 (e01-e05), Pricing 07:06 (e06-e10), Order 12:00 (k1): converted
#   v2       Blog 07:01 (f01-f03), Pricing 07:04 (f04-f06), Signup page 07:07 (f07-f09): dropped at Trial
# Pages without a URL and C2's ticket match no touchpoint; the service journey (Pro customers) sees none.


def _url(i: int, pages: dict[range, str]) -> dict:
    return next(({"page_url": f"https://example.com{path}"} for numbers, path in pages.items() if i in numbers), {})


def _landing(root: Path) -> Path:
    v1_pages = {range(1, 6): "/blog/post", range(6, 11): "/pricing"}
    clicks = [{"event_id": f"e{i:02d}", "anonymous_id": "v1", "timestamp": f"2026-10-01T07:{i:02d}:00Z",
               "event": "page_view", **_url(i, v1_pages)} for i in range(1, 20)]
    clicks[0]["user_id"] = "u1"
    day_1 = root / "2026-10-01"
    (day_1 / "clickstream").mkdir(parents=True)
    (day_1 / "clickstream" / "web.jsonl").write_text("\n".join(map(json.dumps, clicks + clicks[:1])) + "\n")
    (day_1 / "crm").mkdir()
    (day_1 / "crm" / "crm.csv").write_text("event_id,customer_id,user_id,timestamp,object,action\n"
                                           "k1,C1,u1,2026-10-01T12:00:00Z,order,created\n"
                                           "k2,C2,,2026-10-01T13:00:00Z,ticket,created\n")
    v2_pages = {range(1, 4): "/blog/post", range(4, 7): "/pricing", range(7, 10): "/signup"}
    more = [{"event_id": f"f{i:02d}", "anonymous_id": "v2", "timestamp": f"2026-10-02T07:{i:02d}:00Z",
             "event": "page_view", **_url(i, v2_pages)} for i in range(1, 20)]
    more.append({"event_id": "f20", "anonymous_id": "v2", "event": "page_view"})
    (root / "2026-10-02" / "clickstream").mkdir(parents=True)
    (root / "2026-10-02" / "clickstream" / "app.jsonl").write_text("\n".join(map(json.dumps, more)) + "\n")
    (root / "notes").mkdir()  # not a day: passed over
    return root


@pytest.mark.slow
def test_demo_runs_the_nightly_job_for_each_day_and_prints_what_was_loaded(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("JOURNEYS_DB", raising=False)
    out = tmp_path / "journeys_out"
    assert demo.run_demo(out, _landing(tmp_path / "landing")) == 0

    printed = capsys.readouterr()
    assert printed.err.splitlines()[1:] == [
        "2026-10-01: 2 files, 22 rows read: 21 loaded, 1 duplicate, 0 quarantined; 2 persons so far; "
        "purchase: 1 journey; service: 0 journeys",
        "2026-10-02: 1 file, 20 rows read: 19 loaded, 0 duplicates, 1 quarantined; 3 persons so far; "
        "purchase: 2 journeys; service: 0 journeys",
    ]
    lines = printed.out.splitlines()
    summary = [" ".join(line.split()) for line in lines]
    assert summary[0] == f"Loaded into {out.resolve() / 'journeys.duckdb'}:"
    assert summary[1:8] == [
        "files 3", "events read 42", "loaded 40", "duplicates 1", "quarantined 1",
        "persons 3 (from 5 identifiers)", "oversize components 0"]
    home = out.resolve() / "dagster_home"
    assert summary[8] == (f"The runs in Dagster's UI: DAGSTER_HOME={home} JOURNEYS_DB={out.resolve() / 'journeys.duckdb'} "
                          f"JOURNEYS_OUT={out.resolve()} {Path(sys.executable).parent / 'dagster'} dev -m "
                          "pipelines.definitions, then open http://localhost:3000")
    assert (Path(sys.executable).parent / "dagster").is_file()
    # Time to reach Consideration: 5 min (v1), 3 min (v2); Trial 6 min (v2); Purchase 4 h 59 min (v1).
    assert summary[9:] == [
        "Stage KPIs of the purchase journey (2 journeys of 2 persons, 1 converted):",
        "stage reached dropped drop-off rate median time to reach",
        "Awareness 2 0 0.0% 0 s",
        "Consideration 2 0 0.0% 4.0 min",
        "Trial 1 1 100.0% 6.0 min",
        "Purchase 1 0 0.0% 5.0 h",
        f"The purchase journey's files: {out.resolve() / 'purchase'}",
        "The purchase journey's map:",
        str(out.resolve() / "purchase" / "report.html"),  # alone on its line: the path to open
        # the twin: v1 (start) > Blog > Pricing > (conversion), v2 ... > Pricing > Signup page > (null): without
        # Blog or Pricing nobody converts; without Signup page, v2 still ends in (null). Every resample of the
        # two journeys that converts at all says the same (one of v2 alone converts nobody: no figure).
        "The purchase journey's top 3 touchpoints by removal effect (the conversions lost without them; "
        "attribution.csv):",
        "Blog 100.0 % (95 % interval 100.0 to 100.0 %)",
        "Pricing 100.0 % (95 % interval 100.0 to 100.0 %)",
        "Signup page 0.0 % (95 % interval 0.0 to 0.0 %)",
    ]
    assert (out / "purchase" / "report.html").is_file()
    table = lines[10:15]
    assert len({len(line) for line in table}) == 1  # aligned: numbers right, under their headings
    assert table[0].index("median time to reach") + len("median time to reach") == len(table[0])
    assert (out / "purchase" / "stage_kpis.csv").is_file() and (out / "service" / "summary.json").is_file()

    home = out / "dagster_home"
    assert (home / "dagster.yaml").is_file()
    with DagsterInstance.from_config(str(home)) as instance:  # what `dagster dev` shows afterwards
        runs = instance.get_runs()
        assert sorted((run.job_name, run.tags["dagster/partition"], run.status.value) for run in runs) == [
            ("nightly_journeys", "2026-10-01", "SUCCESS"), ("nightly_journeys", "2026-10-02", "SUCCESS")]


@pytest.mark.slow
def test_demo_writes_the_database_named_by_journeys_db(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JOURNEYS_DB", str(tmp_path / "elsewhere.duckdb"))
    assert demo.main(["--out", str(tmp_path / "out"), "--landing", str(_landing(tmp_path / "landing"))]) == 0
    assert (tmp_path / "elsewhere.duckdb").is_file()
    assert not (tmp_path / "out" / "journeys.duckdb").exists()
    assert capsys.readouterr().out.startswith(f"Loaded into {tmp_path / 'elsewhere.duckdb'}:")


@pytest.mark.slow
def test_demo_stops_with_one_line_naming_the_day_and_the_file(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("JOURNEYS_DB", raising=False)
    landing = tmp_path / "landing"
    (landing / "2026-10-01" / "crm").mkdir(parents=True)
    bad = landing / "2026-10-01" / "crm" / "crm.csv"
    bad.write_text("event_id,customer_id,timestamp,object,action\nk1,C1,2026-10-01,order,created\nk2,,,,\n")
    assert demo.main(["--out", str(tmp_path / "out"), "--landing", str(landing)]) == 1
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith(f"demo: 2026-10-01: {bad}: 1 of 2 rows would be quarantined (50.0%)")
    assert "Dagster run" in error


def test_demo_without_landing_days_says_so(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert demo.main(["--out", str(tmp_path / "out"), "--landing", str(tmp_path / "empty")]) == 1
    assert capsys.readouterr().err == (f"demo: {tmp_path / 'empty'}: no landing day folders "
                                       "(YYYY-MM-DD, from 2026-10-01) to run the nightly job on\n")


@pytest.mark.slow
def test_demo_refuses_an_invalid_definition_with_one_line(tmp_path):
    (tmp_path / "definitions").mkdir()
    broken = tmp_path / "definitions" / "purchase.yaml"
    broken.write_text("name: purchase\nstages: []\n")
    env = {**os.environ, "JOURNEYS_DEFINITIONS": str(tmp_path / "definitions")}
    result = subprocess.run([sys.executable, "-m", "journey_mining.cli", "demo", "--out", str(tmp_path / "out")],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"journeys: {broken}:2: stages must list at least one stage\n"
    assert not (tmp_path / "out").exists()


def test_the_demo_of_make_demo_points_to_make_dagster():
    made = demo.REPOSITORY / "journeys_out"
    command = demo._dagster_command(str(made / "journeys.duckdb"), made / "dagster_home",
                                    demo.OutputFolder(path=str(made)))
    assert command == "make dagster"
