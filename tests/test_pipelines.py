"""The Dagster code location: definitions load, the nightly job end to end, checks, sensor, schedule."""

import ast
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from dagster import (
    AssetCheckSeverity,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    JobDefinition,
    RunRequest,
    SensorResult,
    build_schedule_context,
    build_sensor_context,
)

from journey_mining import checks
from pipelines.checks import counts_reconcile, quarantine_share, unique_event_ids
from pipelines.definitions import code_location, defs
from pipelines.partitions import landing_days
from pipelines.resources import DefinitionsFolder, JourneysDatabase, LandingFolder, OutputFolder
from pipelines.schedules import nightly
from pipelines.sensors import landing_files

REPOSITORY = Path(__file__).resolve().parent.parent
DAY_1, DAY_2 = "2026-10-01", "2026-10-02"
CHECKS = {"counts_reconcile", "unique_event_ids", "quarantine_share"}


# --- a landing folder written by hand --------------------------------------------------------------
#
# 2026-10-01/clickstream/web.jsonl  20 lines: c01..c18 loaded, c01 again (same content: duplicate),
#                                   c19 without timestamp (quarantined): read 20 = 18 + 1 + 1
# 2026-10-01/crm/crm.csv            20 rows r01..r20, all loaded
# 2026-10-02/clickstream/web.jsonl  20 lines: d01..d19 loaded, day 1's c18 again (duplicate)
#
# Identities: a1 and a2 both log in as u1, who is CRM customer K1: one person {a1, a2, u1, K1}
# with c01..c12 and r01..r10 (22 events). a3 alone (c13..c18, 6 events). K2 with an email
# (r11..r20, 10 events). Day 2: a4 logs in as u2 (d01..d19, 19 events).

def _click(event_id: str, anonymous_id: str, minute: int, day: str = DAY_1, user_id: str | None = None) -> str:
    row = {"event_id": event_id, "anonymous_id": anonymous_id, "timestamp": f"{day}T08:{minute:02d}:00Z",
           "event": "page_view", "page_url": f"/pricing?step={minute}"}
    if user_id:
        row["user_id"] = user_id
    return json.dumps(row)


def _day_1_clickstream() -> list[str]:
    lines = [_click("c01", "a1", 1, user_id="u1")]
    lines += [_click(f"c{i:02d}", "a1", i) for i in range(2, 7)]
    lines += [_click("c07", "a2", 7, user_id="u1")]
    lines += [_click(f"c{i:02d}", "a2", i) for i in range(8, 13)]
    lines += [_click(f"c{i:02d}", "a3", i) for i in range(13, 19)]
    lines += [lines[0], json.dumps({"event_id": "c19", "anonymous_id": "a3", "event": "page_view"})]
    return lines


def _day_1_crm() -> list[str]:
    rows = ["event_id,customer_id,user_id,email,timestamp,object,action,amount",
            "r01,K1,u1,,2026-10-01 09:01:00,lead,created,"]
    rows += [f"r{i:02d},K1,,,2026-10-01 09:{i:02d}:00,opportunity,stage_changed,{i * 10}"
             for i in range(2, 11)]
    rows += ["r11,K2,, Ana@Example.com ,2026-10-01 10:11:00,ticket,created,"]
    rows += [f"r{i:02d},K2,,,2026-10-01 10:{i:02d}:00,ticket,answered," for i in range(12, 21)]
    return rows


def _day_2_clickstream() -> list[str]:
    lines = [_click("d01", "a4", 1, day=DAY_2, user_id="u2")]
    lines += [_click(f"d{i:02d}", "a4", i, day=DAY_2) for i in range(2, 20)]
    return lines + [_click("c18", "a3", 18)]


def _write(path: Path, lines: list[str], *, settled: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if settled:  # landed an hour ago: the sensor waits for files still being written
        an_hour_ago = time.time() - 3600
        os.utime(path, (an_hour_ago, an_hour_ago))
    return path


@pytest.fixture
def landing_folder(tmp_path: Path) -> LandingFolder:
    root = tmp_path / "landing"
    _write(root / DAY_1 / "clickstream" / "web.jsonl", _day_1_clickstream())
    _write(root / DAY_1 / "crm" / "crm.csv", _day_1_crm())
    _write(root / DAY_2 / "clickstream" / "web.jsonl", _day_2_clickstream())
    return LandingFolder(path=str(root))


@pytest.fixture
def database(tmp_path: Path) -> JourneysDatabase:
    return JourneysDatabase(path=str(tmp_path / "journeys.duckdb"))


@pytest.fixture
def instance(tmp_path: Path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    with DagsterInstance.from_config(str(home)) as persistent:
        yield persistent


@pytest.fixture
def nightly_job(tmp_path: Path) -> JobDefinition:
    """The nightly job of a code location without journey definitions: ingest and persons only (the
    mined assets have their own tests, in test_pipelines_mining.py)."""
    (tmp_path / "no_definitions").mkdir()
    return code_location(DefinitionsFolder(path=str(tmp_path / "no_definitions"))).resolve_job_def(
        "nightly_journeys")


def _run(job: JobDefinition, day: str, database: JourneysDatabase, landing_folder: LandingFolder,
         instance: DagsterInstance):
    return job.execute_in_process(
        instance=instance, partition_key=day, raise_on_error=False,
        resources={"database": database, "landing": landing_folder,
                   "output": OutputFolder(path=str(Path(database.path).parent / "out"))})


def _metadata(result, node: str) -> dict:
    (materialization,) = result.asset_materializations_for_node(node)
    return {name: value.value for name, value in materialization.metadata.items() if name != "preview"}


def _checks(result) -> dict[str, bool]:
    return {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}


def _table_counts(database: JourneysDatabase) -> dict[str, int]:
    with database.connection(read_only=True) as con:
        counts = con.execute(
            "select (select count(*) from ingested_files), (select count(*) from events), "
            "(select count(*) from quarantine), (select count(*) from identities), "
            "(select count(*) from persons)"
        ).fetchall()[0]
    return dict(zip(("ingested_files", "events", "quarantine", "identities", "persons"), counts))


# --- definitions ---------------------------------------------------------------------------------

def test_definitions_load_and_name_the_nightly_pieces():
    Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("nightly_journeys")
    assert job.partitions_def == landing_days
    assert landing_days.start == datetime(2026, 10, 1, tzinfo=timezone.utc)  # the first bundled day, not the calendar
    assert defs.resolve_schedule_def("nightly").job_name == "nightly_journeys"
    assert defs.resolve_sensor_def("landing_files").job_name == "nightly_journeys"
    assert "landing day with files not loaded yet" in defs.resolve_sensor_def("landing_files").description
    assert "02:00 UTC" in defs.resolve_schedule_def("nightly").description
    blocking = {spec.name: spec.blocking for check in (counts_reconcile, unique_event_ids, quarantine_share)
                for spec in check.check_specs}
    assert blocking == {"counts_reconcile": True, "unique_event_ids": True, "quarantine_share": False}


def test_the_partitions_start_at_the_first_landing_day_or_the_day_given(tmp_path):
    code = "from pipelines.partitions import landing_days; print(f'{landing_days.start:%Y-%m-%d}')"
    landing = tmp_path / "landing"
    for day in ("2026-11-02", "2026-11-03", "not-a-day"):
        (landing / day / "crm").mkdir(parents=True)
    env = {name: value for name, value in os.environ.items() if name != "JOURNEYS_FIRST_DAY"}

    def start(**variables: str) -> str:
        return subprocess.run([sys.executable, "-c", code], env={**env, **variables}, cwd=tmp_path,
                              capture_output=True, text=True, check=True).stdout.strip()

    assert start(JOURNEYS_LANDING=str(landing)) == "2026-11-02"
    assert start(JOURNEYS_LANDING=str(landing), JOURNEYS_FIRST_DAY="2026-09-15") == "2026-09-15"
    assert start(JOURNEYS_LANDING=str(tmp_path / "nothing landed yet")) == "2026-08-01"


def test_definitions_take_the_database_and_landing_folder_from_the_environment(tmp_path):
    code = ("from pipelines.definitions import defs; r = defs.resources; "
            "print(r['database'].path); print(r['landing'].path)")
    env = {**os.environ, "JOURNEYS_DB": str(tmp_path / "x.duckdb"), "JOURNEYS_LANDING": str(tmp_path / "in")}
    printed = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                             text=True, check=True).stdout.split()
    assert printed == [str(tmp_path / "x.duckdb"), str(tmp_path / "in")]
    env = {name: value for name, value in env.items() if name not in ("JOURNEYS_DB", "JOURNEYS_LANDING")}
    printed = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                             text=True, check=True).stdout.split()
    assert printed == [str(tmp_path / "journeys.duckdb"), str(REPOSITORY / "data_samples" / "landing")]


def test_the_library_never_imports_dagster_or_the_pipelines():
    for module in sorted((REPOSITORY / "journey_mining").rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in ("dagster", "dagster_duckdb"), f"{module} imports {name}"
                if node in tree.body:  # `journeys demo` loads the pipelines lazily, inside a function
                    assert name.split(".")[0] != "pipelines", f"{module} imports {name} at module level"


# --- the nightly job, end to end -------------------------------------------------------------------

@pytest.mark.slow
def test_nightly_job_loads_days_checks_them_builds_persons_and_reruns_change_nothing(
        nightly_job, database, landing_folder, instance):
    day_1 = _run(nightly_job, DAY_1, database, landing_folder, instance)
    assert day_1.success
    assert _metadata(day_1, "events") == {
        "dagster/row_count": 38, "files": 2, "files loaded before": 0,
        "read": 40, "loaded": 38, "duplicates": 1, "quarantined": 1}
    assert _checks(day_1) == dict.fromkeys(CHECKS, True)
    assert _metadata(day_1, "persons") == {
        "dagster/row_count": 3, "identifiers": 7, "oversize components": 0,
        "identifiers linked anew": "all (a full rebuild)"}
    (events_materialization,) = day_1.asset_materializations_for_node("events")
    assert events_materialization.partition == DAY_1

    day_2 = _run(nightly_job, DAY_2, database, landing_folder, instance)
    assert day_2.success
    assert _metadata(day_2, "events") == {
        "dagster/row_count": 19, "files": 1, "files loaded before": 0,
        "read": 20, "loaded": 19, "duplicates": 1, "quarantined": 0}
    assert _checks(day_2) == dict.fromkeys(CHECKS, True)
    # only day 2's new rows are linked: a4 with u2 (c18 again is a duplicate, not loaded)
    assert _metadata(day_2, "persons") == {
        "dagster/row_count": 4, "identifiers": 9, "oversize components": 0, "identifiers linked anew": 2}

    expected = {"ingested_files": 3, "events": 57, "quarantine": 1, "identities": 9, "persons": 4}
    assert _table_counts(database) == expected
    with database.connection(read_only=True) as con:
        assert con.execute("select line, reason from quarantine").fetchall() == [(20, "missing timestamp")]
        events_per_person = con.execute("select events from persons order by events").fetchall()
        assert events_per_person == [(6,), (10,), (19,), (22,)]
        summary = checks.load_summary(con)
    assert summary == checks.LoadSummary(files=3, read=60, loaded=57, duplicates=2, quarantined=1, events=57,
                                         persons=4, identifiers=9, oversize_components=())

    rerun = _run(nightly_job, DAY_1, database, landing_folder, instance)
    assert rerun.success
    assert _metadata(rerun, "events") == {**_metadata(day_1, "events"), "files loaded before": 2}
    assert _checks(rerun) == dict.fromkeys(CHECKS, True)
    assert _table_counts(database) == expected
    assert _metadata(rerun, "persons")["identifiers linked anew"] == 0
    assert [run.status.value for run in instance.get_runs()] == ["SUCCESS"] * 3


@pytest.mark.slow
def test_a_day_without_exports_materialises_nothing_loaded(nightly_job, database, landing_folder, instance):
    result = _run(nightly_job, "2026-10-05", database, landing_folder, instance)
    assert result.success
    assert _metadata(result, "events")["files"] == 0
    assert _table_counts(database)["events"] == 0


@pytest.mark.slow
def test_duplicated_event_keys_block_persons(nightly_job, database, landing_folder, instance):
    # A database someone wrote around ingest: one key twice, the file's counts consistent with it.
    with database.connection() as con:
        con.execute("insert into ingested_files values "
                    "(1, 'manual.jsonl', 'clickstream', 'abc', 1, 2, 2, 0, 0, now())").fetchall()
        for line in (1, 2):
            con.execute("insert into events (source, event_id, anonymous_id, occurred_at, event, file_id, "
                        "line) values ('clickstream', 'e-1', 'a9', '2026-09-30 10:00', 'page_view', 1, ?)",
                        [line]).fetchall()
    result = _run(nightly_job, DAY_1, database, landing_folder, instance)
    assert not result.success
    assert _checks(result) == {"counts_reconcile": True, "unique_event_ids": False, "quarantine_share": True}
    (failed,) = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed.severity == AssetCheckSeverity.ERROR
    assert failed.description == "1 event keys loaded more than once: clickstream 'e-1': 2 rows"
    assert result.asset_materializations_for_node("persons") == []
    assert _table_counts(database)["persons"] == 0


@pytest.mark.slow
def test_rows_lost_from_the_events_table_block_persons(nightly_job, database, landing_folder, instance):
    assert _run(nightly_job, DAY_1, database, landing_folder, instance).success
    with database.connection() as con:
        con.execute("delete from events where event_id = 'c02'").fetchall()
    result = _run(nightly_job, DAY_2, database, landing_folder, instance)
    assert not result.success
    assert _checks(result)["counts_reconcile"] is False
    (failed,) = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed.description.endswith(
        "web.jsonl: read 20 vs loaded 18 + duplicates 1 + quarantined 1; events table 17, quarantine table 1")
    assert result.asset_materializations_for_node("persons") == []
    with database.connection(read_only=True) as con:  # persons still as the day 1 run left them
        assert con.execute("select count(*) from persons").fetchall() == [(3,)]


@pytest.mark.slow
def test_a_file_above_the_quarantine_threshold_fails_the_day_and_loads_nothing(nightly_job, database, tmp_path,
                                                                               instance):
    good = [_click(f"g{i:02d}", "a1", i) for i in range(1, 19)]
    bad = [json.dumps({"event_id": "b1", "anonymous_id": "a1"}), "not json"]  # 2 of 20: 10 %
    root = tmp_path / "bad_landing"
    _write(root / DAY_1 / "clickstream" / "web.jsonl", good + bad)
    result = _run(nightly_job, DAY_1, database, LandingFolder(path=str(root)), instance)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert failure.step_key == "events"
    cause = failure.step_failure_data.error.cause
    assert cause.cls_name == "JourneyError"
    file = root / DAY_1 / "clickstream" / "web.jsonl"
    assert f"{file}: 2 of 20 rows would be quarantined (10.0%), above the 5% threshold" in cause.message
    assert result.get_asset_check_evaluations() == []
    assert result.asset_materializations_for_node("persons") == []
    assert _table_counts(database)["events"] == 0


# --- the validators the checks wrap ---------------------------------------------------------------

def test_files_over_the_quarantine_threshold_are_named(database):
    with database.connection() as con:
        con.execute("insert into ingested_files values "
                    "(1, 'fine.csv', 'crm', 'a', 1, 20, 19, 0, 1, now()), "
                    "(2, 'lax.csv', 'crm', 'b', 1, 10, 8, 0, 2, now()), "
                    "(3, 'empty.csv', 'crm', 'c', 1, 0, 0, 0, 0, now())").fetchall()
        assert checks.files_over_quarantine_threshold(con) == checks.Findings(
            1, ("lax.csv: 2 of 10 rows quarantined (20.0%)",))
        assert checks.files_over_quarantine_threshold(con, threshold=0.25).ok


def test_rows_of_no_ingested_file_do_not_reconcile(database):
    with database.connection() as con:
        con.execute("insert into quarantine values (7, 1, 'x', 'malformed line')").fetchall()
        assert checks.unreconciled_files(con) == checks.Findings(
            1, ("1 rows of quarantine belong to no ingested file",))


# --- sensor and schedule ---------------------------------------------------------------------------

def _tick(database: JourneysDatabase, landing_folder: LandingFolder, cursor: str | None) -> SensorResult:
    context = build_sensor_context(cursor=cursor,
                                   resources={"database": database, "landing": landing_folder})
    result = landing_files(context)
    assert isinstance(result, SensorResult)
    return result


def _days(result: SensorResult) -> list[str]:
    return [request.partition_key for request in result.run_requests]


@pytest.mark.slow
def test_sensor_requests_days_with_files_not_loaded_once_until_they_change(nightly_job, database, landing_folder,
                                                                           instance):
    first = _tick(database, landing_folder, None)
    assert _days(first) == [DAY_1, DAY_2]
    assert all(isinstance(request, RunRequest) and request.run_key for request in first.run_requests)
    assert _days(_tick(database, landing_folder, first.cursor)) == []  # requested once, run pending

    assert _run(nightly_job, DAY_1, database, landing_folder, instance).success
    after_day_1 = _tick(database, landing_folder, first.cursor)
    assert _days(after_day_1) == []
    waiting = [str(Path(landing_folder.path) / DAY_2 / "clickstream" / "web.jsonl")]
    assert list(json.loads(after_day_1.cursor)) == waiting  # day 1's files left the cursor once loaded

    assert _run(nightly_job, DAY_2, database, landing_folder, instance).success
    assert _days(_tick(database, landing_folder, None)) == []  # loaded files are passed over, cursor or not

    late = _write(Path(landing_folder.path) / DAY_1 / "crm" / "late.csv",
                  _day_1_crm()[:1] + ["r21,K3,,,2026-10-01 23:00:00,order,created,5"])
    _write(Path(landing_folder.path) / DAY_2 / "crm" / "copying.csv", _day_1_crm()[:2], settled=False)
    _write(Path(landing_folder.path) / "2026-07-31" / "crm" / "old.csv", _day_1_crm()[:2])
    late_tick = _tick(database, landing_folder, json.dumps({}))
    # The file still being copied waits; a day before the first landing day is no partition.
    assert _days(late_tick) == [DAY_1]
    assert set(json.loads(late_tick.cursor)) == {str(late)}
    assert _days(_tick(database, landing_folder, late_tick.cursor)) == []

    _write(late, _day_1_crm()[:1] + ["r21,K3,,,2026-10-01 23:00:00,order,created,5.50"])  # fixed, re-sent
    assert _days(_tick(database, landing_folder, late_tick.cursor)) == [DAY_1]


def test_schedule_runs_the_previous_day_at_two_in_the_night():
    assert nightly.cron_schedule == "0 2 * * *"
    assert nightly.execution_timezone == "UTC"
    two_at_night = datetime(2026, 10, 4, 2, 0, tzinfo=timezone.utc)
    request = nightly(build_schedule_context(scheduled_execution_time=two_at_night))
    assert request.partition_key == "2026-10-03"
    assert request.partition_key in landing_days.get_partition_keys()
