"""The mined assets in Dagster: one set per journey definition, the laws their numbers obey (checked,
blocking the exports), the exports, and an invalid definition refused with its one line."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from dagster import AssetCheckSeverity, AssetKey, AssetSelection, Definitions, DagsterInstance, define_asset_job

from journey_mining import checks, db, definition, identity, ingest, mining
from journey_mining.definition import DefinitionError
from pipelines.checks import LAWS
from pipelines.definitions import code_location, defs
from pipelines.resources import DefinitionsFolder, JourneysDatabase, LandingFolder, OutputFolder

DAY_1, DAY_2 = "2026-10-01", "2026-10-02"
MINED = ("journeys", "path_steps", "stage_kpis", "feelings", "touchpoint_kpis", "transitions", "variants", "deviations",
         "funnels", "attribution", "twin_stages", "twin_transitions", "segments", "segment_stage_kpis", "personas",
         "alerts", "trends", "conformance", "exports", "report")
CHECKS = {"counts_reconcile", "unique_event_ids", "quarantine_share", "steps_in_equal_steps_out",
          "funnels_never_widen", "drop_offs_add_up", "shares_sum_to_one", "deviations_within_journeys",
          "twin_converts_as_observed", "journeys_unchanged"}
EXPORTED = ("stage_kpis.csv", "touchpoint_kpis.csv", "transitions.csv", "variants.csv", "deviations.csv",
            "conformance.csv", "funnels.csv", "feelings.csv", "attribution.csv", "twin_stages.csv",
            "twin_transitions.csv", "segments.csv", "segment_stage_kpis.csv", "personas.csv", "alerts.csv",
            "trends.csv", "journeys.parquet", "persona_members.parquet", "discovered_model.pnml",
            "discovered_model.bpmn", "summary.json", "report.html",
            "stage_kpis.xlsx")

# --- a definition and a landing folder written by hand ---------------------------------------------

SIGNUP = """\
name: signup
stages:
  - name: Visit
    touchpoints:
      - name: Blog
        match: {source: clickstream, event: page_view, url: "/blog/*"}
      - name: Pricing
        match: {source: clickstream, event: page_view, url: "/pricing"}
  - name: Trial
    touchpoints:
      - name: Signup
        match: {source: clickstream, event: signup}
  - name: Purchase
    touchpoints:
      - name: Order
        match: {source: crm, object: order, action: created}
        goal: true
funnels:
  - name: pricing_to_order
    steps: [Pricing, Signup, Order]
    window: 7d
"""

# Four persons. P1 = a1 + u1 + K1, P3 = a3 + u3 + K3 (the web row carries the user id, the CRM row
# the same user id); P2 = a2 and P4 = a4 alone. 14 events, all in scope; c09 (/about) and k4 (a
# ticket) match no touchpoint: 12 mapped, 2 unmapped.
#
#   P1  day 1  09:00 Blog, 09:02 Blog (repeat: one step), 09:10 Pricing, 09:30 Signup, 10:00 Order
#              (goal: the journey ends), 10:30 ticket (unmapped)
#   P2  day 1  09:00 Pricing, 09:05 Blog            day 2  09:00 Signup (24 h later: same journey)
#   P3  day 1  11:00 Signup, 11:20 Order
#   P4  day 1  12:00 Pricing, 12:05 /about (unmapped), 12:10 Signup
#
# Journeys after both days (none cut by inactivity, 30 days):
#   J1  Blog > Pricing > Signup > Order   converted   stage times 0, 30 min (Trial), 60 min (Purchase)
#   J2  Pricing > Blog > Signup           not         0, 24 h (Trial)
#   J3  Signup > Order                    converted   entry deviation; Trial 0, Purchase 20 min
#   J4  Pricing > Signup                  not         0, 10 min (Trial)
# After day 1 alone J2 is Pricing > Blog, dropped at Visit instead of Trial.


def _click(event_id: str, anonymous_id: str, clock: str, event: str = "page_view", url: str | None = None,
           user_id: str | None = None, day: str = DAY_1) -> str:
    row = {"event_id": event_id, "anonymous_id": anonymous_id, "timestamp": f"{day}T{clock}:00Z", "event": event}
    if url:
        row["page_url"] = f"https://example.com{url}"
    if user_id:
        row["user_id"] = user_id
    return json.dumps(row)


DAY_1_CLICKS = [
    _click("c01", "a1", "09:00", url="/blog/a", user_id="u1"),
    _click("c02", "a1", "09:02", url="/blog/b?ref=mail"),
    _click("c03", "a1", "09:10", url="/pricing"),
    _click("c04", "a1", "09:30", event="signup"),
    _click("c05", "a2", "09:00", url="/pricing"),
    _click("c06", "a2", "09:05", url="/blog/x"),
    _click("c07", "a3", "11:00", event="signup", user_id="u3"),
    _click("c08", "a4", "12:00", url="/pricing"),
    _click("c09", "a4", "12:05", url="/about"),
    _click("c10", "a4", "12:10", event="signup"),
]
DAY_1_CRM = ["event_id,customer_id,user_id,timestamp,object,action",
             "k1,K1,u1,2026-10-01T10:00:00Z,order,created",
             "k3,K3,u3,2026-10-01T11:20:00Z,order,created",
             "k4,K1,,2026-10-01T10:30:00Z,ticket,opened"]
DAY_2_CLICKS = [_click("d01", "a2", "09:00", event="signup", day=DAY_2)]


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _landing(root: Path) -> LandingFolder:
    _write(root / DAY_1 / "clickstream" / "web.jsonl", DAY_1_CLICKS)
    _write(root / DAY_1 / "crm" / "crm.csv", DAY_1_CRM)
    _write(root / DAY_2 / "clickstream" / "web.jsonl", DAY_2_CLICKS)
    return LandingFolder(path=str(root))


def _definitions(root: Path) -> DefinitionsFolder:
    _write(root / "signup.yaml", SIGNUP.splitlines())
    return DefinitionsFolder(path=str(root))


class Pipeline:
    """A code location on hand-made definitions, with its own database, landing, output and instance."""

    def __init__(self, root: Path, instance: DagsterInstance):
        self.location = code_location(_definitions(root / "definitions"))
        self.database = JourneysDatabase(path=str(root / "journeys.duckdb"))
        self.landing = _landing(root / "landing")
        self.out = root / "out"
        self.instance = instance

    def run(self, day: str | None, job: str = "nightly_journeys", location: Definitions | None = None):
        return (location or self.location).resolve_job_def(job).execute_in_process(
            instance=self.instance, partition_key=day, raise_on_error=False,
            resources={"database": self.database, "landing": self.landing,
                       "output": OutputFolder(path=str(self.out))})

    def query(self, text: str) -> list[tuple]:
        with self.database.connection(read_only=True) as con:
            return con.execute(text).fetchall()


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    """Both landing days through the nightly job, in order: the runs and the pipeline they wrote."""
    root = tmp_path_factory.mktemp("nightly")
    (root / "dagster_home").mkdir()
    with DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        pipeline = Pipeline(root, instance)
        day_1 = pipeline.run(DAY_1)
        stage_drops_after_day_1 = pipeline.query(
            "select stage, journeys_dropped from stage_kpis order by stage_order")
        day_2 = pipeline.run(DAY_2)
        yield pipeline, day_1, day_2, stage_drops_after_day_1


def _materialization(result, *key: str) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(list(key))]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def _checks(result) -> dict[tuple[str, str], bool]:
    return {(evaluation.asset_key.to_user_string(), evaluation.check_name): evaluation.passed
            for evaluation in result.get_asset_check_evaluations()}


# --- the code location -----------------------------------------------------------------------------

def test_definitions_load_with_the_assets_and_blocking_checks_of_every_bundled_definition():
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == {"events", "persons"} | {f"{name}/{asset}" for name in ("purchase", "service") for asset in MINED}
    for name in ("purchase", "service"):
        assert graph.get(AssetKey([name, "journeys"])).group_name == name
        assert graph.get(AssetKey([name, "journeys"])).parent_keys == {AssetKey("persons")}
        assert graph.get(AssetKey([name, "exports"])).parent_keys == {
            AssetKey([name, asset]) for asset in MINED if asset not in ("exports", "report")}
        assert graph.get(AssetKey([name, "report"])).parent_keys == {AssetKey([name, "exports"])}
    law_checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys
                  if key.asset_key != AssetKey("events")}
    assert law_checks == {(f"{name}/{law.table}", law.name) for name in ("purchase", "service") for law in LAWS} | {
        (f"{name}/alerts", "journeys_unchanged") for name in ("purchase", "service")}
    job = defs.resolve_job_def("nightly_journeys")
    assert {key.to_user_string() for key in job.asset_layer.selected_asset_keys} == keys
    assert all(spec.blocking == (spec.name != "journeys_unchanged") for check in defs.asset_checks
               for spec in check.check_specs if spec.asset_key != AssetKey("events"))


@pytest.mark.slow
def test_the_definitions_folder_and_output_folder_come_from_the_environment(tmp_path):
    _definitions(tmp_path / "mine")
    code = ("from pipelines.definitions import defs; print(defs.resources['output'].path); "
            "print(sorted({k.path[0] for k in defs.resolve_asset_graph().get_all_asset_keys()}))")
    env = {**os.environ, "JOURNEYS_DEFINITIONS": str(tmp_path / "mine"), "JOURNEYS_OUT": str(tmp_path / "out")}
    printed = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                             text=True, check=True).stdout.splitlines()
    assert printed == [str(tmp_path / "out"), "['events', 'persons', 'signup']"]
    env = {name: value for name, value in env.items() if name not in ("JOURNEYS_DEFINITIONS", "JOURNEYS_OUT")}
    printed = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                             text=True, check=True).stdout.splitlines()
    assert printed == [str(tmp_path / "journeys_out"), "['events', 'persons', 'purchase', 'service']"]


# --- the nightly job, end to end -------------------------------------------------------------------

@pytest.mark.slow
def test_one_nightly_run_ingests_rebuilds_persons_mines_checks_and_exports(nightly):
    pipeline, day_1, day_2, _ = nightly
    assert day_1.success and day_2.success
    assert set(_checks(day_2).values()) == {True}
    assert {name for _, name in _checks(day_2)} == CHECKS
    materialized = {event.asset_key.to_user_string() for event in day_2.get_asset_materialization_events()}
    assert materialized == {"events", "persons"} | {f"signup/{asset}" for asset in MINED}


@pytest.mark.slow
def test_each_run_mines_every_day_loaded_so_far(nightly):
    _, _, _, stage_drops_after_day_1 = nightly
    # Day 1: J2 (Pricing > Blog) dropped at Visit, J4 at Trial; day 2 carries J2 on to Signup (Trial).
    assert stage_drops_after_day_1 == [("Visit", 1), ("Trial", 1), ("Purchase", 0)]


@pytest.mark.slow
def test_the_mined_numbers_are_the_ones_worked_out_by_hand(nightly):
    pipeline, _, _, _ = nightly
    assert pipeline.query("select path, converted, conforms from journeys order by path") == [
        ("Blog > Pricing > Signup > Order", True, True), ("Pricing > Blog > Signup", False, True),
        ("Pricing > Signup", False, True), ("Signup > Order", True, False)]
    assert pipeline.query("select in_scope, out_of_scope, mapped, unmapped, persons, journeys, converted "
                          "from mining_runs") == [(14, 0, 12, 2, 4, 4, 2)]
    # Time to reach: Trial 0 (J3), 10 min (J4), 30 min (J1), 24 h (J2): median 20 min;
    # Purchase 20 min (J3), 60 min (J1): median 40 min.
    assert pipeline.query("select stage, journeys_reached, journeys_dropped, drop_off_rate, median_s_to_reach "
                          "from stage_kpis order by stage_order") == [
        ("Visit", 3, 0, 0.0, 0.0), ("Trial", 4, 2, 0.5, 1200.0), ("Purchase", 2, 0, 0.0, 2400.0)]
    assert pipeline.query("select touchpoint, events, journeys, exits from touchpoint_kpis order by touchpoint") == [
        ("Blog", 3, 2, 0), ("Order", 2, 2, 0), ("Pricing", 3, 3, 0), ("Signup", 4, 4, 2)]
    assert pipeline.query("select source, target, transitions, kind from transitions order by source, target") == [
        ("(start)", "Blog", 1, "expected"), ("(start)", "Pricing", 2, "expected"), ("(start)", "Signup", 1, "entry"),
        ("Blog", "Pricing", 1, "expected"), ("Blog", "Signup", 1, "expected"), ("Order", "(end)", 2, "expected"),
        ("Pricing", "Blog", 1, "expected"), ("Pricing", "Signup", 2, "expected"), ("Signup", "(end)", 2, "expected"),
        ("Signup", "Order", 2, "expected")]
    # Pricing > Signup: 20 min (J1) and 10 min (J4): median 15 min, p90 10 + 0.9 * 10 min.
    assert pipeline.query("select median_s, p90_s from transitions where source = 'Pricing' and target = 'Signup'"
                          ) == [(900.0, 1140.0)]
    # Four variants of one journey each, ties ranked by path text.
    assert pipeline.query("select rank, path, share, conforms from variants order by rank") == [
        (1, "Blog > Pricing > Signup > Order", 0.25, True), (2, "Pricing > Blog > Signup", 0.25, True),
        (3, "Pricing > Signup", 0.25, True), (4, "Signup > Order", 0.25, False)]
    # Every assumed transition between two touchpoints was taken: no not_taken rows.
    assert pipeline.query("select source, target, kind, journeys, share from deviations") == [
        ("(start)", "Signup", "entry", 1, 0.25)]
    # Funnel over persons: P1 reaches Order; P2 (Signup 24 h after Pricing, within 7 days) and P4 reach
    # Signup; P3 never sees Pricing. Pricing > Signup: 20 min, 24 h, 10 min; Signup > Order: 30 min.
    assert pipeline.query("select step, step_name, persons, conversion_rate_from_start, mean_s, median_s "
                          "from funnels order by step") == [
        (1, "Pricing", 3, 1.0, None, None), (2, "Signup", 3, 1.0, 29400.0, 1200.0),
        (3, "Order", 1, pytest.approx(1 / 3), 1800.0, 1800.0)]
    ((journeys, conforming, rate, fitness, precision),) = pipeline.query(
        "select journeys, conforming_journeys, conformance_rate, fitness, precision from conformance")
    assert (journeys, conforming, rate) == (4, 3, 0.75)
    assert 0 < fitness < 1 and 0 < precision <= 1  # J3 skips the first stage; J2 and J4 stop before the goal


@pytest.mark.slow
def test_the_assets_report_their_rows_the_exports_their_folder_and_the_map_its_stage_kpis(nightly):
    pipeline, _, day_2, _ = nightly
    rows = {asset: _materialization(day_2, "signup", asset)["dagster/row_count"] for asset in MINED[:-3]}
    assert rows == {"journeys": 4, "path_steps": 11, "stage_kpis": 3, "feelings": 3 + 4, "touchpoint_kpis": 4,
                    "transitions": 10, "variants": 4, "deviations": 1, "funnels": 3,
                    # the twin: Blog, Pricing and Signup (Order is the goal); (start), the three and the two ends
                    # joined by 9 transitions (J1-J4 as chain paths, above)
                    "attribution": 3, "twin_stages": 3, "twin_transitions": 9,
                    # no segments in the definition, 4 persons (personas need 200), and every journey started
                    # within the 7 days before the latest event: none is old enough to compare or to trend
                    "segments": 0, "segment_stage_kpis": 0, "personas": 0, "alerts": 0, "trends": 0}
    journeys = _materialization(day_2, "signup", "journeys")
    assert (journeys["persons"], journeys["converted"]) == (4, 2)
    assert "| 14 | 0 | 12 | 2 | 4 | 4 | 2 |" in journeys["preview"]
    assert "| 1 | Blog > Pricing > Signup > Order | 1 | 0.25 |" in _materialization(
        day_2, "signup", "variants")["preview"]
    conformance = _materialization(day_2, "signup", "conformance")
    assert conformance["note"] is None and 0 < conformance["fitness"] < 1
    exports = _materialization(day_2, "signup", "exports")
    assert exports["path"] == str(pipeline.out / "signup")
    assert (exports["journeys"], exports["persons"], exports["converted"]) == (4, 4, 2)
    assert exports["warnings"] == "none"  # each of the four touchpoints has events (the variant above)
    journey_map = _materialization(day_2, "signup", "report")
    assert journey_map["path"] == str(pipeline.out / "signup" / "report.html")
    assert journey_map["open"] == (f"open {pipeline.out / 'signup' / 'report.html'} in a browser "
                                   "(one file, works offline)")
    assert journey_map["stage KPIs"].splitlines() == [
        "| stage | reached | dropped | drop-off rate | median time to reach |", "|---|---|---|---|---|",
        "| Visit | 3 | 0 | 0.0% | 0 s |", "| Trial | 4 | 2 | 50.0% | 20.0 min |",
        "| Purchase | 2 | 0 | 0.0% | 40.0 min |"]


@pytest.mark.slow
def test_the_exports_are_written_for_the_definition(nightly):
    pipeline, _, _, _ = nightly
    folder = pipeline.out / "signup"
    assert sorted(path.name for path in folder.iterdir()) == sorted(EXPORTED)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (summary["journeys"], summary["persons"], summary["converted"]) == (4, 4, 2)
    assert (summary["mapped"], summary["unmapped"]) == (12, 2)
    assert (folder / "stage_kpis.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        '"signup","Visit",0,3,0,0,0', '"signup","Trial",1,4,2,0.5,1200', '"signup","Purchase",2,2,0,0,2400']
    workbook = openpyxl.load_workbook(folder / "stage_kpis.xlsx")
    assert workbook.sheetnames == ["stage_kpis", "touchpoint_kpis", "transitions", "variants", "deviations",
                                   "conformance", "funnels", "feelings", "attribution", "twin_stages",
                                   "twin_transitions", "segments", "segment_stage_kpis", "personas", "alerts",
                                   "trends"]
    assert [list(row) for row in workbook["stage_kpis"].iter_rows(values_only=True)] == [
        ["definition", "stage", "stage_order", "journeys_reached", "journeys_dropped", "drop_off_rate",
         "median_s_to_reach"],
        ["signup", "Visit", 0, 3, 0, 0, 0], ["signup", "Trial", 1, 4, 2, 0.5, 1200],
        ["signup", "Purchase", 2, 2, 0, 0, 2400]]
    assert workbook["variants"].max_row == len((folder / "variants.csv").read_text().splitlines())  # header too


@pytest.mark.slow
def test_structure_alerts_warn_and_do_not_block_the_exports(tmp_path):
    (tmp_path / "dagster_home").mkdir()
    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        pipeline = Pipeline(tmp_path, instance)
        assert pipeline.run(DAY_1).success
        with pipeline.database.connection() as con:  # an alert, as a nightly run on longer data writes one
            con.execute("insert into alerts values ('signup', 'conversion', '', 40, 400, 0.1, 80, 400, 0.2, 0.1, "
                        "1e-5, 2e-5, 'increase', 0)")
        recheck = define_asset_job("recheck", selection=AssetSelection.checks_for_assets(
            AssetKey(["signup", "alerts"])) | AssetSelection.assets(["signup", "exports"]))
        result = pipeline.run(None, "recheck", Definitions.merge(pipeline.location, Definitions(jobs=[recheck])))
    assert result.success
    (warned,) = result.get_asset_check_evaluations()
    assert (warned.check_name, warned.passed, warned.severity) == ("journeys_unchanged", False, AssetCheckSeverity.WARN)
    assert warned.description == "1 structure alerts: increase: conversion 10.00 % → 20.00 % (q 2e-05)"
    assert warned.metadata["structure alerts"].value == 1
    assert (pipeline.out / "signup" / "alerts.csv").read_text(encoding="utf-8").splitlines()[1] == (
        '"signup","conversion","",40,400,0.1,80,400,0.2,0.1,0.00001,0.00002,"increase"')


@pytest.mark.slow
def test_a_failing_law_blocks_the_exports(tmp_path):
    (tmp_path / "dagster_home").mkdir()
    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        pipeline = Pipeline(tmp_path, instance)
        assert pipeline.run(DAY_1).success
        shutil.rmtree(pipeline.out)
        with pipeline.database.connection() as con:  # a hand edit after the nightly run
            con.execute("update transitions set transitions = 5 where source = 'Pricing' and target = 'Signup'")
        # Re-export, checking the mined tables first (as the nightly job does after mining).
        recheck = define_asset_job("recheck", selection=AssetSelection.checks_for_assets(
            *[AssetKey(["signup", law.table]) for law in LAWS]) | AssetSelection.assets(["signup", "exports"]))
        result = pipeline.run(None, "recheck", Definitions.merge(pipeline.location, Definitions(jobs=[recheck])))
    assert not result.success
    assert _checks(result) == {("signup/transitions", "steps_in_equal_steps_out"): False,
                               ("signup/funnels", "funnels_never_widen"): True,
                               ("signup/stage_kpis", "drop_offs_add_up"): True,
                               ("signup/variants", "shares_sum_to_one"): True,
                               ("signup/deviations", "deviations_within_journeys"): True,
                               ("signup/attribution", "twin_converts_as_observed"): True}
    (failed,) = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed.severity == AssetCheckSeverity.ERROR
    # Day 1: Pricing is entered 2 + 1 times; Signup is left 1 + 2 times. Edited: 2 -> 5 steps.
    assert failed.description == ("2 touchpoints with unequal steps in and out: "
                                  "Pricing: 3 steps in, 6 out; Signup: 6 steps in, 3 out")
    assert result.get_asset_materialization_events() == []
    assert not pipeline.out.exists()


@pytest.mark.slow
def test_a_first_night_without_exports_fails_mining_instead_of_exporting_empty_files(tmp_path):
    (tmp_path / "dagster_home").mkdir()
    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        pipeline = Pipeline(tmp_path, instance)
        result = pipeline.run("2026-10-05")  # nothing landed that day, nor before
    assert not result.success
    assert {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()} == {"events", "persons"}
    (failure,) = result.get_step_failure_events()
    assert failure.step_key == "mine_signup"
    assert failure.step_failure_data.error.cause.message == (
        f"journey_mining.errors.JourneyError: {pipeline.database.path}: no events: run `journeys ingest` first\n")
    assert not pipeline.out.exists()


# --- the laws, one validator at a time -------------------------------------------------------------

@pytest.fixture(scope="module")
def mined_database(tmp_path_factory) -> Path:
    """The hand-made landing folder, both days, mined with the library alone (no Dagster)."""
    root = tmp_path_factory.mktemp("laws")
    landing = _landing(root / "landing")
    journey = definition.load(Path(_definitions(root / "definitions").path) / "signup.yaml")
    path = root / "journeys.duckdb"
    con = db.connect(path)
    try:
        for day in (DAY_1, DAY_2):
            for source in ("clickstream", "crm"):
                if landing.source_folder(day, source).is_dir():
                    ingest.ingest(con, source, [landing.source_folder(day, source)])
        identity.build_persons(con)
        mining.mine(con, journey)
    finally:
        con.close()
    return path


@pytest.fixture
def mined(mined_database, tmp_path):
    """A copy of the mined database for one test to corrupt."""
    copy = tmp_path / "mined.duckdb"
    shutil.copyfile(mined_database, copy)
    con = db.connect(copy)
    yield con
    con.close()


VALIDATORS = (checks.unbalanced_touchpoints, checks.rising_funnel_steps, checks.unreconciled_drop_offs,
              checks.variant_shares_off_one, checks.deviations_above_journeys)


def test_the_laws_hold_on_mined_numbers(mined):
    for validator in VALIDATORS:
        assert validator(mined, "signup") == checks.Findings(0), validator.__name__
        assert validator(mined, "no such definition") == checks.Findings(0), validator.__name__


def test_steps_into_a_touchpoint_must_equal_the_steps_out(mined):
    mined.execute("update transitions set transitions = 3 where source = 'Signup' and target = '(end)'")
    # Signup: in 1 (start) + 1 (Blog) + 2 (Pricing) = 4, out 2 (Order) + 3 (end) = 5
    assert checks.unbalanced_touchpoints(mined, "signup") == checks.Findings(1, ("Signup: 4 steps in, 5 out",))


def test_steps_that_never_leave_a_touchpoint_break_the_law(mined):
    mined.execute("delete from transitions where source = 'Order'")
    assert checks.unbalanced_touchpoints(mined, "signup") == checks.Findings(1, ("Order: 2 steps in, 0 out",))


def test_a_funnel_never_widens(mined):
    mined.execute("update funnels set persons = 4 where step = 3")
    assert checks.rising_funnel_steps(mined, "signup") == checks.Findings(
        1, ("pricing_to_order step 3 (Order): 4 persons, more than 3 at step 2",))


def test_drop_offs_add_up_to_the_journeys_not_converted(mined):
    mined.execute("update stage_kpis set journeys_dropped = 1 where stage = 'Visit'")
    assert checks.unreconciled_drop_offs(mined, "signup") == checks.Findings(
        1, ("3 journeys dropped over the stages, 2 journeys did not convert",))
    mined.execute("update stage_kpis set journeys_dropped = 0 where stage = 'Visit'")
    mined.execute("update journeys set converted = false where path = 'Signup > Order'")
    assert checks.unreconciled_drop_offs(mined, "signup") == checks.Findings(
        1, ("2 journeys dropped over the stages, 3 journeys did not convert",))


def test_variant_shares_sum_to_one(mined):
    mined.execute("update variants set share = 0.25 + 1e-6 where rank = 1")
    (finding,) = checks.variant_shares_off_one(mined, "signup").examples
    assert finding == "the shares of 4 variants sum to 1.000001 over 4 journeys"
    mined.execute("update variants set share = 0.25 + 1e-12 where rank = 1")  # rounding, not a wrong share
    assert checks.variant_shares_off_one(mined, "signup").ok
    mined.execute("delete from journeys")  # variants left of journeys that are gone
    assert checks.variant_shares_off_one(mined, "signup").count == 1


def test_no_deviation_is_taken_by_more_journeys_than_there_are(mined):
    mined.execute("update deviations set journeys = 5 where kind = 'entry'")
    assert checks.deviations_above_journeys(mined, "signup") == checks.Findings(
        1, ("entry (start) > Signup: 5 journeys of 4",))


# --- invalid definitions ---------------------------------------------------------------------------

BROKEN = """\
name: broken
stages:
  - name: Visit
    touchpoints:
      - name: Blog
        match: {event: page_view}
        goal: yes please
"""


def _broken_folder(root: Path) -> tuple[DefinitionsFolder, str]:
    """A definitions folder with one good and one invalid definition, and the invalid one's message."""
    folder = _definitions(root)
    _write(root / "broken.yaml", BROKEN.splitlines())
    return folder, f"{root / 'broken.yaml'}:7: goal of 'Blog' must be true or false"


def test_an_invalid_definition_fails_the_code_location_with_its_one_line(tmp_path):
    folder, message = _broken_folder(tmp_path / "definitions")
    with pytest.raises(DefinitionError) as raised:
        code_location(folder)
    assert str(raised.value) == message


@pytest.mark.slow
def test_loading_the_code_location_ends_with_the_invalid_definitions_line(tmp_path):
    folder, message = _broken_folder(tmp_path / "definitions")
    loading = subprocess.run([sys.executable, "-c", "import pipelines.definitions"], cwd=tmp_path,
                             env={**os.environ, "JOURNEYS_DEFINITIONS": folder.path},
                             capture_output=True, text=True)
    assert loading.returncode == 1
    assert loading.stderr.splitlines()[-1] == f"journey_mining.definition.DefinitionError: {message}"
    assert "definition.py" not in loading.stderr  # the YAML reader's frames do not bury the line


def test_two_definitions_with_one_name_or_a_missing_folder_are_refused(tmp_path):
    folder = _definitions(tmp_path / "definitions")
    _write(tmp_path / "definitions" / "signup_copy.yml", SIGNUP.splitlines())
    _write(tmp_path / "definitions" / "notes.txt", ["not a definition: passed over"])
    _write(tmp_path / "definitions" / ".signup.yaml", ["an editor's copy: passed over"])
    with pytest.raises(DefinitionError, match=r"signup_copy\.yml:1: definition name 'signup' is also the name in .*"
                                              r"signup\.yaml:1; each definition needs a name of its own$"):
        folder.definitions()
    # Dagster spells both `sign-up` and `sign_up` as sign_up in op and group names.
    _write(tmp_path / "definitions" / "signup_copy.yml", SIGNUP.replace("name: signup", "name: sign-up").splitlines())
    _write(tmp_path / "definitions" / "sign_up.yaml", SIGNUP.replace("name: signup", "name: sign_up").splitlines())
    with pytest.raises(DefinitionError, match=r"signup_copy\.yml: the name 'sign-up' and 'sign_up' of .*sign_up\.yaml "
                                              r"are one name to Dagster \(sign_up\); rename one$"):
        folder.definitions()
    (tmp_path / "definitions" / "signup_copy.yml").unlink()
    (tmp_path / "definitions" / "sign_up.yaml").unlink()
    assert [journey.name for journey in folder.definitions()] == ["signup"]
    with pytest.raises(DefinitionError, match="nowhere: no such folder of journey definitions"):
        DefinitionsFolder(path=str(tmp_path / "nowhere")).definitions()


def test_a_definition_named_in_any_script_loads_keyed_by_its_name_as_dagster_spells_it(tmp_path):
    folder = _definitions(tmp_path / "definitions")
    _write(tmp_path / "definitions" / "odd.yaml",
           SIGNUP.replace("name: signup", 'name: "Übersicht <b>&<b> 日本語"').splitlines())
    location = code_location(folder)
    Definitions.validate_loadable(location)
    graph = location.resolve_asset_graph()
    prefix = "_bersicht__b___b_____"  # Dagster's op names take ASCII letters, digits and _ only
    assert graph.get(AssetKey([prefix, "journeys"])).group_name == prefix
    assert {key.name for key in graph.asset_check_keys if key.asset_key.path[0] == prefix} == CHECKS - {
        "counts_reconcile", "unique_event_ids", "quarantine_share"}
    # `Signup` would be written to the folder of `signup` on a case-insensitive disk
    _write(tmp_path / "definitions" / "upper.yaml", SIGNUP.replace("name: signup", "name: Signup").splitlines())
    with pytest.raises(DefinitionError, match=r"upper\.yaml:1: definition name 'Signup' differs only in letter case "
                                              r"from 'signup' in .*signup\.yaml:1; both would be one folder"):
        folder.definitions()


def test_a_folder_without_definitions_loads_ingest_only(tmp_path):
    location = code_location(DefinitionsFolder(path=str(tmp_path)))
    assert {key.to_user_string() for key in location.resolve_asset_graph().get_all_asset_keys()} == {
        "events", "persons"}
