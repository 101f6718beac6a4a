"""Names and property keys as written: any printable text mines, maps and comes out unchanged, in every
file and on the map (read in a real browser)."""

import csv
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest

from journey_mining import cli, db, definition, identity, ingest, mining, report

START = datetime(2026, 9, 1, tzinfo=timezone.utc)
# Property keys that a `$."key"` JSON path spells with escapes or that look like path syntax.
PROPERTY_KEYS = ["日本", "Übersicht", "a b", 'say "hi"', "it's", "d.ot", "back\\slash", "a/b", "til~de", "[0]",
                 "$", "tab\there"]


def test_properties_match_keys_in_any_script_with_spaces_quotes_dots_and_slashes(tmp_path):
    # One touchpoint per key, each taking events whose property under that key is "yes"; the scope
    # also asks for a non-ASCII key. Per key: one event that matches, one with "no" (unmapped); then an
    # event with `d` holding {"ot": "yes"} (a nested d.ot is not the key "d.ot": unmapped) and one
    # without the scope's key (out of scope).
    touchpoints = [f"      - {{name: {json.dumps(f'key {n}')}, match: {{properties: {{{json.dumps(key)}: 'yes'}}}}"
                   + (", goal: true}" if n == len(PROPERTY_KEYS) - 1 else "}") for n, key in enumerate(PROPERTY_KEYS)]
    path = tmp_path / "keys.yaml"
    path.write_text("name: keys\nscope:\n  properties: {製品: pro}\nstages:\n  - name: Only\n    touchpoints:\n"
                    + "\n".join(touchpoints) + "\n", encoding="utf-8")
    journey = definition.load(path)
    rows = []
    for n, key in enumerate(PROPERTY_KEYS):
        rows += [{"製品": "pro", key: "yes"}, {"製品": "pro", key: "no"}]
    rows += [{"製品": "pro", "d": {"ot": "yes"}}, {"日本": "yes"}]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(
        json.dumps({"event_id": f"e{n}", "anonymous_id": f"visitor{n}", "event": "page_view",
                    "timestamp": (START + timedelta(minutes=n)).isoformat(), "properties": properties}) + "\n"
        for n, properties in enumerate(rows)), encoding="utf-8")
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "clickstream", [events])
    identity.build_persons(con)
    mining.mine(con, journey)
    counts = mining.event_counts(con, "keys")
    assert (counts.in_scope, counts.out_of_scope, counts.mapped, counts.unmapped) == (
        2 * len(PROPERTY_KEYS) + 1, 1, len(PROPERTY_KEYS), len(PROPERTY_KEYS) + 1)
    events_by_touchpoint = dict(con.execute(
        "select touchpoint, events from touchpoint_kpis where definition = 'keys'").fetchall())
    assert events_by_touchpoint == {f"key {n}": 1 for n in range(len(PROPERTY_KEYS))}
    con.close()


# Names with markup, entities, quotes, backslashes (one ending a name; `\N` is Graphviz's escape for a
# node's id), `>` without spaces, two spaces in a row and non-Latin letters; none begins with = + - @
# (a spreadsheet quote).
NAME = "<b>Blog<b> & \"Co\" 'x' Übersicht 日本語 a>b"  # a folder name: no / or \
STAGES = ["<b>Blog</b> stage & \"quoted\"", "Stage \\ back\\slash 'single'", "日本語 Übersicht"]
TOUCHPOINTS = {  # event -> (touchpoint, stage index)
    "e1": ("<b>Blog</b>", 0), "e2": ("R&D & \"Co\" 'x'", 0), "e3": ("C:\\dir\\", 1), "e4": ("a>b", 1),
    "e5": ("\\N x &amp; y", 1), "e6": ("Übersicht  Seite", 2), "e7": ("日本語", 2)}
GOAL = "e7"
FUNNEL = "<i>funnel</i> & \"q\" 'a' \\ 日本語 a>b"
FUNNEL_STEPS = ["e1", "e3", "e7"]
PERSONS = {"p1": ["e1", "e3", "e6", "e7"], "p2": ["e2", "e4", "e7"], "p3": ["e1", "e5"], "p4": ["e4", "e2"]}
PATHS = {person: [TOUCHPOINTS[event][0] for event in events] for person, events in PERSONS.items()}


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    folder = tmp_path_factory.mktemp("names")
    lines = [f"name: {_quoted(NAME)}", "stages:"]
    for index, stage in enumerate(STAGES):
        lines += [f"  - name: {_quoted(stage)}", "    touchpoints:"]
        lines += [f"      - {{name: {_quoted(touchpoint)}, match: {{event: {event}}}"
                  + (", goal: true}" if event == GOAL else "}")
                  for event, (touchpoint, stage_index) in TOUCHPOINTS.items() if stage_index == index]
    lines += ["funnels:", f"  - name: {_quoted(FUNNEL)}",
              f"    steps: [{', '.join(_quoted(TOUCHPOINTS[event][0]) for event in FUNNEL_STEPS)}]"]
    (folder / "names.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "events.jsonl").write_text("".join(
        json.dumps({"event_id": f"{person}-{n}", "anonymous_id": person, "event": event,
                    "timestamp": (START + timedelta(minutes=n)).isoformat()}) + "\n"
        for person, events in PERSONS.items() for n, event in enumerate(events)), encoding="utf-8")
    database = folder / "journeys.duckdb"
    assert cli.main(["ingest", "clickstream", str(folder / "events.jsonl"), "--db", str(database)]) == 0
    assert cli.main(["mine", str(folder / "names.yaml"), "--db", str(database), "--out", str(folder / "out"), "--xes"]) == 0
    return folder / "out" / NAME


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_csv_and_journeys_parquet_hold_the_names_as_written(mined):
    touchpoints = [touchpoint for touchpoint, _ in TOUCHPOINTS.values()]
    stage_of = {touchpoint: STAGES[index] for touchpoint, index in TOUCHPOINTS.values()}
    tables = {table: read_csv(mined / f"{table}.csv") for table in (
        "stage_kpis", "touchpoint_kpis", "transitions", "variants", "deviations", "conformance", "funnels",
        "feelings")}
    for table, rows in tables.items():
        assert rows and {row["definition"] for row in rows} == {NAME}, table
    assert [row["stage"] for row in tables["stage_kpis"]] == STAGES
    assert {(row["touchpoint"], row["stage"]) for row in tables["touchpoint_kpis"]} == set(stage_of.items())
    edges = {(a, b) for path in PATHS.values() for a, b in zip(["(start)", *path], [*path, "(end)"])}
    assert {(row["source"], row["target"]) for row in tables["transitions"]} == edges
    assert sorted(row["path"] for row in tables["variants"]) == sorted(" > ".join(p) for p in PATHS.values())
    assert ("a>b", "R&D & \"Co\" 'x'") in {(row["source"], row["target"]) for row in tables["deviations"]}
    assert {row["funnel"] for row in tables["funnels"]} == {FUNNEL}
    assert [row["step_name"] for row in tables["funnels"]] == [TOUCHPOINTS[event][0] for event in FUNNEL_STEPS]
    assert {row["stage"] for row in tables["feelings"]} == set(STAGES)
    assert {row["touchpoint"] for row in tables["feelings"]} - {""} <= set(touchpoints)
    journeys = pq.read_table(mined / "journeys.parquet").to_pylist()
    assert {row["definition"] for row in journeys} == {NAME}
    assert sorted(row["path"] for row in journeys) == sorted(" > ".join(p) for p in PATHS.values())
    assert {row["furthest_stage"] for row in journeys} == {STAGES[2], STAGES[1]}
    text = (mined / "summary.json").read_text(encoding="utf-8")
    assert json.loads(text)["definition"] == NAME
    assert f'"definition": {json.dumps(NAME, ensure_ascii=False)}' in text  # as written, not as \u escapes


def test_the_xes_log_and_the_discovered_models_hold_the_names_as_written(mined):
    xes = "{http://www.xes-standard.org/}"
    traces = []
    for trace in ET.parse(mined / "journeys.xes").getroot().iter(xes + "trace"):
        events = [{attribute.get("key"): attribute.get("value") for attribute in event}
                  for event in trace.iter(xes + "event")]
        traces.append([(event["concept:name"], event["stage"]) for event in events])
    stage_of = {touchpoint: STAGES[index] for touchpoint, index in TOUCHPOINTS.values()}
    assert sorted(traces) == sorted([(t, stage_of[t]) for t in path] for path in PATHS.values())
    touchpoints = {touchpoint for touchpoint, _ in TOUCHPOINTS.values()}
    bpmn = ET.parse(mined / "discovered_model.bpmn").getroot()
    assert {task.get("name") for task in bpmn.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}task")} == touchpoints
    pnml = ET.parse(mined / "discovered_model.pnml").getroot()
    assert {t.findtext("name/text") for t in pnml.iter("transition") if t.find("toolspecific") is None} == touchpoints


def test_the_report_shows_the_names_as_written_in_a_browser(mined):
    from playwright.sync_api import sync_playwright

    from test_report import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((mined / "report.html").as_uri(), wait_until="load")
        shown = page.evaluate("""() => {
            const column = (csv, name) => [...document.querySelectorAll(
                `table[data-csv="${csv}"] td[data-column="${name}"]`)].map(td => td.innerText);
            const map = document.querySelector(".map-level:not([hidden])");
            return {
                title: document.title, heading: document.querySelector("h1").innerText,
                markup: document.querySelectorAll("body b, body i").length,
                stages: column("stage_kpis.csv", "stage"), touchpoints: column("touchpoint_kpis.csv", "touchpoint"),
                paths: column("variants.csv", "path"), steps: column("funnels.csv", "step_name"),
                funnel: document.querySelector("#funnels h3").innerText,
                clusters: [...map.querySelectorAll("g.cluster > text")].map(t => t.textContent),
                nodes: [...map.querySelectorAll("g.node.touchpoint")].map(g => g.querySelector("text").textContent),
            };
        }""")
        browser.close()
    assert errors == []
    assert (shown["title"], shown["heading"]) == (f"Journey map: {NAME}", f"{NAME}: the observed journey")
    assert shown["markup"] == 0  # no name was read as markup
    assert shown["stages"] == STAGES
    assert sorted(shown["touchpoints"]) == sorted(touchpoint for touchpoint, _ in TOUCHPOINTS.values())
    assert sorted(shown["paths"]) == sorted(" > ".join(p) for p in PATHS.values())
    assert shown["steps"] == [TOUCHPOINTS[event][0] for event in FUNNEL_STEPS]
    assert shown["funnel"] == f"{FUNNEL} (sequential)"
    # the map: Graphviz draws a space after a space as a no-break space, which looks the same
    assert shown["clusters"] == STAGES
    assert sorted(node.replace("\u00a0", " ") for node in shown["nodes"]) == sorted(
        touchpoint for touchpoint, _ in TOUCHPOINTS.values())


def test_a_touchpoint_named_like_a_map_node_keeps_a_node_of_its_own(tmp_path):
    # touchpoints named "start" and "end" beside the map's own start node: each is a node of its own, and each
    # edge joins the nodes it names (10 x start > end > B, 1 x end > B)
    path = tmp_path / "map.yaml"
    path.write_text("name: map\nstages:\n  - name: S\n    touchpoints:\n      - {name: start, match: {event: s}}\n"
                    "      - {name: end, match: {event: e}}\n      - {name: B, match: {event: b}, goal: true}\n")
    journey = definition.load(path)
    transitions = [{"source": s, "target": t, "transitions": n, "journeys": n, "kind": "expected"} for s, t, n in [
        ("(start)", "start", 10), ("start", "end", 10), ("(start)", "end", 1), ("end", "B", 11), ("B", "(end)", 11)]]
    level = report.map_levels(transitions, 11, [(1, 1), (10, 10)])[0]
    kpis = {name: {"journeys": 11, "exits": 0, "exit_rate": 0.0} for name in ("start", "end", "B")}
    svg = report._layout(report._dot(journey, level, "map-0", kpis, 11))
    groups = list(ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"))
    label = {g.find("{http://www.w3.org/2000/svg}title").text: [t.text for t in g.iter("{http://www.w3.org/2000/svg}text")][0]
             for g in groups if "node" in g.get("class", "")}
    assert sorted(label.values()) == ["B", "end", "start", "start"]
    edges = {tuple(label[node] if node != "start" else "(start)" for node in
                   g.find("{http://www.w3.org/2000/svg}title").text.replace("&#45;", "-").split("->"))
             for g in groups if "edge" in g.get("class", "")}
    assert edges == {("(start)", "start"), ("start", "end"), ("(start)", "end"), ("end", "B")}
