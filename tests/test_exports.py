"""`journeys mine`: every output file of SPEC section 6 with exactly its columns, spreadsheet-safe text,
an XES log that pm4py reads back, and bad usage answered with exit code 2."""

import csv
import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.slow  # runs the command line in a subprocess

COLUMNS = {
    "stage_kpis.csv": "definition, stage, stage_order, journeys_reached, journeys_dropped, drop_off_rate, "
                      "median_s_to_reach",
    "touchpoint_kpis.csv": "definition, touchpoint, stage, events, journeys, exits, exit_rate, mean_score",
    "transitions.csv": "definition, source, target, transitions, journeys, median_s, p90_s, kind",
    "variants.csv": "definition, rank, path, journeys, share, converted, conversion_rate, conforms",
    "deviations.csv": "definition, source, target, kind, journeys, share",
    "conformance.csv": "definition, journeys, conforming_journeys, conformance_rate, fitness, precision",
    "funnels.csv": "definition, funnel, step, step_name, persons, conversion_rate_from_start, "
                   "conversion_rate_from_previous, mean_s, median_s",
    "feelings.csv": "definition, stage, stage_order, touchpoint, scored_events, mean_score",
    "attribution.csv": "definition, touchpoint, stage, journeys, removal_effect, removal_effect_low, "
                       "removal_effect_high, share, attributed_conversions, first_touch, last_touch, linear, "
                       "position_based",
    "twin_stages.csv": "definition, stage, observed_reach, model_reach",
    "twin_transitions.csv": "definition, source, target, transitions, probability",
}
DEFINITION = """\
name: exports
stages:
  - name: "-Awareness"
    touchpoints:
      - {name: "=HYPERLINK(1)", match: {event: ad_click}}
      - {name: "+Blog", match: {event: blog}}
  - name: Purchase
    touchpoints:
      - {name: "@Order", match: {event: order}, goal: true}
funnels:
  - {name: ad_to_order, steps: ["=HYPERLINK(1)", "@Order"], window: 1d}
"""


def journeys(*args, cwd):
    return subprocess.run([sys.executable, "-m", "journey_mining.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    rows = [("a", "ad_click", "10:00"), ("a", "blog", "10:05"), ("a", "order", "11:00"),
            ("b", "blog", "09:00"), ("c", "ad_click", "08:00")]
    (folder / "events.jsonl").write_text("".join(
        json.dumps({"event_id": f"e{n}", "anonymous_id": person, "event": event,
                    "timestamp": f"2026-09-01T{clock}:00Z"}) + "\n" for n, (person, event, clock) in enumerate(rows)))
    (folder / "exports.yaml").write_text(DEFINITION)
    db = folder / "journeys.duckdb"
    assert journeys("ingest", "clickstream", "events.jsonl", "--db", db, cwd=folder).returncode == 0
    result = journeys("mine", "exports.yaml", "--db", db, "--out", "out", "--xes", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder / "out" / "exports", result


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_every_csv_has_exactly_its_columns(mined):
    folder, _ = mined
    for name, columns in COLUMNS.items():
        assert read_csv(folder / name)[0] == columns.split(", "), name


def test_text_that_a_spreadsheet_would_run_gets_a_quote_and_numbers_stay(mined):
    folder, _ = mined
    touchpoints = read_csv(folder / "touchpoint_kpis.csv")[1:]
    assert [row[1] for row in touchpoints] == ["'=HYPERLINK(1)", "'+Blog", "'@Order"]
    assert [row[2] for row in touchpoints] == ["'-Awareness", "'-Awareness", "Purchase"]
    # journeys a: ad > blog > order (converted), b: blog, c: ad. Events: ad 2, blog 2, order 1
    assert [row[3] for row in touchpoints] == ["2", "2", "1"]
    variants = {row[2]: row for row in read_csv(folder / "variants.csv")[1:]}
    # three variants of one journey each, ranked by path text: "+" < "=" < "@" in code points
    assert [row[1] for row in variants.values()] == ["1", "2", "3"]
    assert variants["'=HYPERLINK(1) > +Blog > @Order"][3:6] == ["1", "0.3333333333333333", "1"]


def test_journeys_parquet_and_summary(mined):
    folder, result = mined
    table = pq.read_table(folder / "journeys.parquet")
    assert table.column_names == ["journey_id", "person_id", "definition", "start_at", "end_at", "steps", "path",
                                  "furthest_stage", "converted", "conforms"]
    assert sorted(table.column("steps").to_pylist()) == [1, 1, 3]
    summary = json.loads((folder / "summary.json").read_text())
    assert (summary["journeys"], summary["persons"], summary["converted"]) == (3, 3, 1)
    assert (summary["in_scope"], summary["mapped"], summary["unmapped"]) == (5, 5, 0)
    assert summary["events"] == {"read": 5, "loaded": 5, "duplicates": 0, "quarantined": 0}
    assert summary["files"][0]["read"] == 5 and set(summary["versions"]) >= {"duckdb", "pm4py"}
    assert summary["model"]["note"] is None and 0 < summary["model"]["fitness"] <= 1
    assert summary["warnings"] == []  # every touchpoint matched an event
    assert "exports: 3 journeys of 3 persons, 1 converted" in result.stdout


@pytest.mark.filterwarnings("ignore:.*r4pm")  # pm4py suggests an optional faster XES reader
def test_the_xes_log_and_the_discovered_model_read_back_in_pm4py(mined):
    import pm4py

    folder, _ = mined
    log = pm4py.read_xes(str(folder / "journeys.xes"), return_legacy_log_object=True)
    journeys = pq.read_table(folder / "journeys.parquet").to_pylist()
    assert {trace.attributes["concept:name"]: " > ".join(event["concept:name"] for event in trace)
            for trace in log} == {journey["journey_id"]: journey["path"] for journey in journeys}
    starts = {journey["journey_id"]: journey["start_at"] for journey in journeys}
    assert all(trace[0]["time:timestamp"] == starts[trace.attributes["concept:name"]] for trace in log)
    net, _, _ = pm4py.read_pnml(str(folder / "discovered_model.pnml"))
    assert {t.label for t in net.transitions if t.label} == {"=HYPERLINK(1)", "+Blog", "@Order"}
    assert (folder / "discovered_model.bpmn").stat().st_size > 0


@pytest.mark.filterwarnings("ignore:.*r4pm")
def test_the_xes_log_escapes_what_xml_would_read_as_markup(tmp_path):
    import duckdb
    import pm4py

    from journey_mining import exports, sql

    con = duckdb.connect()
    for table in ("journeys", "journey_steps", "mined_touchpoints", "path_steps"):
        sql.run(con, f"journeys/tables/{table}")
    con.execute("""insert into journeys by name
        select 'j1' as journey_id, 'p1' as person_id, 'd' as definition, now() as start_at, now() as end_at,
               2 as steps, '' as path, '' as furthest_stage, true as converted, true as conforms, 7 as journey_key""")
    con.execute("""insert into mined_touchpoints values ('d', 0, 'R&D <"call">', 'Stage & <co>'),
                                                        ('d', 1, 'Order', 'Purchase')""")
    con.execute("""insert into journey_steps values ('d', 7, 1, 0, '2026-09-01 10:00:00.123456+00'),
                                                    ('d', 7, 2, 1, '2026-09-02 11:00:00+00')""").fetchall()
    exports.write_xes(con, "d", tmp_path / "journeys.xes")
    (trace,) = pm4py.read_xes(str(tmp_path / "journeys.xes"), return_legacy_log_object=True)
    assert [(event["concept:name"], event["stage"], event["time:timestamp"].isoformat()) for event in trace] == [
        ('R&D <"call">', "Stage & <co>", "2026-09-01T10:00:00.123456+00:00"),
        ("Order", "Purchase", "2026-09-02T11:00:00+00:00")]


def test_an_invalid_definition_is_bad_usage_before_any_work(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: x\nstages: []\n")
    result = journeys("mine", "bad.yaml", "--db", tmp_path / "j.duckdb", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["journeys: bad.yaml:2: stages must list at least one stage"]
    assert not (tmp_path / "j.duckdb").exists()
