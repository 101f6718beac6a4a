"""report.html opened in a real browser (Debian's headless Chromium, driven by Playwright): it loads from
disk with no network request and no console error, every section renders, every number in the page
equals the CSV files and summary.json, the map's counts add up, and the rare-edge control changes
what is shown and the coverage it prints (worked out here from journeys.parquet and transitions.csv).
"""

import csv
import io
import itertools
import json
import math
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from journey_mining import analysis, definition, report, twin
from journey_mining.errors import JourneyError

pytestmark = pytest.mark.slow  # mines the sample data and starts a browser

REPOSITORY = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; `make setup` installs it
# Without the background-networking flags Chromium phones home at start, which a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
SECTIONS = ("headline", "journey-grid", "what-changed", "map", "stage-funnel", "feelings", "touchpoints", "variants", "attribution", "conformance", "deviations",
            "funnels", "run-summary")


@pytest.fixture(scope="module")
def mined(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    definitions = REPOSITORY / "data_samples" / "definitions"
    analysis.mine_landing(REPOSITORY / "data_samples" / "landing",
                          [definitions / "purchase.yaml", definitions / "service.yaml"], out, out / "journeys.duckdb")
    return out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Opened:
    """A report open in a browser page, with what the page logged and asked for."""

    def __init__(self, browser, path: Path):
        self.path = path
        self.errors, self.requests = [], []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.as_uri(), wait_until="load")

    def level(self) -> dict:
        """The map level shown: its data attributes, edges (source, target, count, kind) and nodes (name,
        label lines). A touchpoint's name is the first line it shows; edges name their nodes by id."""
        level = self.page.evaluate("""() => {
            const level = document.querySelector(".map-level:not([hidden])");
            const edges = [...level.querySelectorAll("g.edge")].map(g => ({
                title: g.querySelector("title").textContent, count: g.dataset.transitions,
                label: g.querySelector("text") ? g.querySelector("text").textContent : null,
                on_path: g.classList.contains("on-path"),
                kind: [...g.classList].find(c => c.startsWith("kind-")).slice(5)}));
            const nodes = [...level.querySelectorAll("g.node")].map(g => ({
                id: g.querySelector("title").textContent, data: {...g.dataset},
                label: [...g.querySelectorAll("text")].map(t => t.textContent)}));
            return {id: level.id, data: {...level.dataset}, edges, nodes,
                    coverage: document.getElementById("coverage").dataset.value,
                    coverage_text: document.getElementById("coverage").value,
                    hidden_edges: document.getElementById("hidden-edges").value};
        }""")
        names = {"start": "(start)"}
        names.update({node["id"]: node["label"][0] for node in level["nodes"] if node["id"].startswith("tp")})
        for node in level["nodes"]:
            node["name"] = names[node["id"]]
        for edge in level["edges"]:
            edge["source"], edge["target"] = (names[id_] for id_ in edge["title"].split("->"))
        return level

    def close(self):
        self.page.close()


@pytest.fixture(scope="module")
def purchase(browser, mined):
    opened = Opened(browser, mined / "purchase" / "report.html")
    yield opened
    opened.close()


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def covered(folder: Path, minimum: int) -> int:
    """Journeys whose every transition ((start) and (end) included) was taken by >= `minimum` journeys."""
    taken = {(row["source"], row["target"]): int(row["journeys"]) for row in read_csv(folder / "transitions.csv")}
    paths = pq.read_table(folder / "journeys.parquet", columns=["path"]).column("path").to_pylist()
    count = 0
    for path in paths:
        steps = ["(start)", *path.split(" > "), "(end)"]
        count += all(taken[edge] >= minimum for edge in zip(steps, steps[1:]))
    return count


def test_map_levels_draw_no_exit_and_nothing_hidden_worked_by_hand():
    # Journeys: 3 x A > B, 1 x A (2 distinct paths); A -> (end) and (start) -> A
    transitions = [
        {"source": "(start)", "target": "A", "transitions": 4, "journeys": 4, "kind": "expected"},
        {"source": "A", "target": "B", "transitions": 3, "journeys": 3, "kind": "expected"},
        {"source": "B", "target": "(end)", "transitions": 3, "journeys": 3, "kind": "expected"},
        {"source": "A", "target": "(end)", "transitions": 1, "journeys": 1, "kind": "expected"}]
    rarest = [(1, 1), (3, 3)]  # the A journey's rarest edge is A -> (end) (1 journey); the others' 3
    levels = report.map_levels(transitions, 4, rarest)
    # 0 % shows all; 0.1 % .. 10 % of 4 journeys is at least 1 journey: the same edges; exits are never edges
    assert [(level.minimum_journeys, level.hidden_edges, level.covered_journeys) for level in levels] == [(0, 0, 4)]
    assert {(e.source, e.target) for e in levels[0].edges} == {("(start)", "A"), ("A", "B")}
    levels = report.map_levels(transitions, 40, rarest)  # as if 40 journeys: 10 % is 4, 2 % is 1
    by_minimum = {level.minimum_journeys: level for level in levels}
    assert sorted(by_minimum) == [0, 4]  # at 1 to 3 journeys the same two edges show as at 0
    assert by_minimum[0].covered_journeys == 4 and by_minimum[0].hidden_steps == {"A": (0, 0), "B": (0, 0)}
    four = by_minimum[4]  # only (start) -> A (4 journeys) is drawn: A's 3 steps out to B are not, nor is B
    assert (four.hidden_edges, four.covered_journeys, four.hidden_touchpoints) == (1, 0, ("B",))
    assert [(e.source, e.target) for e in four.edges] == [("(start)", "A")] and four.hidden_steps == {"A": (0, 3)}


def test_the_map_opens_at_1_percent_unless_that_draws_more_than_60_transitions():
    # 10,000 journeys: 70 transitions taken by 150 journeys each (1.5 %), 10 by 600 (6 %)
    def edge(n: int, journeys: int) -> dict:
        return {"source": f"A{n}", "target": f"B{n}", "transitions": journeys, "journeys": journeys, "kind": "expected"}

    wandering = [edge(n, 150) for n in range(70)] + [edge(70 + n, 600) for n in range(10)]
    levels = report.map_levels(wandering, 10_000, [])
    assert [(level.share, len(level.edges)) for level in levels] == [(0.0, 80), (0.02, 10)]
    assert report._opening_level(levels).share == 0.02  # 1 % would draw 80
    levels = report.map_levels(wandering[60:], 10_000, [])  # 10 at 1.5 % and 10 at 6 %
    assert report._opening_level(levels).share == 0.0 and len(report._opening_level(levels).edges) == 20


def test_the_report_loads_from_disk_with_no_request_and_no_error_and_every_section_renders(purchase, tmp_path):
    assert purchase.errors == []
    assert purchase.requests == [purchase.path.as_uri()]  # scripts, styles and map are inline
    for section in SECTIONS:
        box = purchase.page.locator(f"#{section}").bounding_box()
        assert box and box["height"] > 40, section
    shot = Image.open(io.BytesIO(purchase.page.locator("#map").screenshot())).convert("RGB")
    colours = shot.getcolors(maxcolors=1 << 20)
    inked = sum(count for count, colour in colours if colour != (255, 255, 255)) / (shot.width * shot.height)
    assert shot.width > 800 and shot.height > 400 and len(colours) > 50 and inked > 0.05  # a drawn map, not blank


@pytest.mark.parametrize("journey", ["purchase", "service"])
def test_every_number_in_the_tables_is_the_one_in_the_csv_files(browser, mined, journey):
    folder = mined / journey
    opened = Opened(browser, folder / "report.html")
    cells = opened.page.evaluate("""() => [...document.querySelectorAll("table[data-csv] tr[data-row] td")]
        .map(td => [td.closest("table").dataset.csv, Number(td.parentElement.dataset.row), td.dataset.column,
                    td.dataset.value, td.textContent])""")
    opened.close()
    assert opened.errors == []
    csvs = {name: read_csv(folder / name) for name in {cell[0] for cell in cells}}
    shown = {}
    for name, row, column, value, text in cells:
        expected = csvs[name][row][column]
        shown.setdefault(name, set()).add(row)
        if expected == "" or not _number(expected):
            assert value == expected.removeprefix("'"), (name, row, column)  # the page shows text unquoted
            continue
        assert float(value) == float(expected), (name, row, column)
        if "rate" in column or column == "share":
            assert text == f"{100 * float(expected):.1f} %"
        elif expected.lstrip("-").isdigit() and not column.endswith(("_s", "_s_to_reach")):  # durations read as text
            assert text.replace(",", "") == expected
    every_row = ("stage_kpis.csv", "touchpoint_kpis.csv", "conformance.csv", "funnels.csv", "attribution.csv",
                 "twin_stages.csv")
    for name in every_row:
        assert shown[name] == set(range(len(read_csv(folder / name)))), name
    assert len(shown["variants.csv"]) == min(report.TOP_VARIANTS, len(read_csv(folder / "variants.csv")))


def test_the_findings_and_the_journey_grid_are_the_csv_files(purchase, mined):
    """Every figure of the four findings and of the grid names its CSV cell and shows it; the grid has a column
    per stage in order, lists each touchpoint under its stage, and its pain points and the findings pick
    what is worked out here from the CSV files."""
    folder = mined / "purchase"
    figures = purchase.page.evaluate("""() => [...document.querySelectorAll(
        "#headline [data-csv], #journey-grid [data-csv]")].map(e => [e.closest("section").id, e.dataset.csv,
        Number(e.dataset.row), e.dataset.column, e.dataset.value, e.textContent])""")
    csvs = {name: read_csv(folder / name) for name in {figure[1] for figure in figures}}
    for section, name, row, column, value, text in figures:
        expected = csvs[name][row][column]
        assert float(value) == float(expected), (section, name, row, column)
        if "rate" in column or column == "share":
            assert text == f"{100 * float(expected):.1f} %"
        elif column in ("journeys", "exits", "journeys_reached", "journeys_dropped", "conforming_journeys"):
            assert text == f"{int(expected):,}"
        elif column == "mean_score" and text:
            assert text == f"{float(expected):+.2f}"
    stages = read_csv(folder / "stage_kpis.csv")
    touchpoints = read_csv(folder / "touchpoint_kpis.csv")
    grid = purchase.page.evaluate("""() => {
        const grid = document.querySelector(".journey-grid");
        const heads = [...grid.querySelectorAll(".head")].slice(1).map(h => h.textContent);
        const cells = [...grid.children].filter(c => c.classList.contains("cell"));
        return {heads, cells: cells.map(c => ({text: c.textContent,
            refs: [...c.querySelectorAll("[data-csv]")].map(e => [e.dataset.csv, Number(e.dataset.row), e.dataset.column])}))};
    }""")
    assert grid["heads"] == [row["stage"] for row in stages]
    count = len(stages)
    rows, at = {}, 0
    for name, width in (("reach", count), ("members", count), ("times", count), ("feelings", 1), ("pains", count)):
        rows[name], at = grid["cells"][at:at + width], at + width
    reach, members, pains = rows["reach"], rows["members"], rows["pains"]
    for n, row in enumerate(stages):
        assert ["stage_kpis.csv", n, "journeys_reached"] in reach[n]["refs"]
        listed = {tuple(ref) for ref in members[n]["refs"] if ref[2] == "journeys"}
        assert listed == {("touchpoint_kpis.csv", i, "journeys") for i, t in enumerate(touchpoints)
                          if t["stage"] == row["stage"]}
        exits = [(int(t["exits"]), -i, i) for i, t in enumerate(touchpoints) if t["stage"] == row["stage"] and int(t["exits"])]
        if exits:
            assert ["touchpoint_kpis.csv", max(exits)[2], "exits"] in pains[n]["refs"]
    dropped = max(range(count), key=lambda i: (int(stages[i]["journeys_dropped"]), -i))
    leak = purchase.page.evaluate("""() => [...document.querySelectorAll('[data-finding="leak"] [data-csv]')]
        .map(e => [e.dataset.csv, Number(e.dataset.row), e.dataset.column])""")
    assert leak[0] == ["stage_kpis.csv", dropped, "journeys_dropped"]
    worst = max((int(t["exits"]), -i, i) for i, t in enumerate(touchpoints) if t["stage"] == stages[dropped]["stage"])[2]
    assert ["touchpoint_kpis.csv", worst, "exits"] in leak
    path = purchase.page.text_content('[data-finding="path"]')
    top = read_csv(folder / "variants.csv")[0]
    assert path.startswith(f"The most common path is {top['path']}: {100 * float(top['share']):.1f} % of journeys")


def test_the_grids_opportunities_are_the_top_removal_effects_and_journeys_whatif(purchase, mined):
    """Per stage, the touchpoints of highest removal effect (attribution.csv), each with the conversion that
    `journeys whatif --scenario "exit T = -20%"` predicts (its whatif.csv)."""
    folder = mined / "purchase"
    attribution = read_csv(folder / "attribution.csv")
    shown = purchase.page.evaluate("""() => [...document.querySelectorAll(".journey-grid [data-column='removal_effect']")]
        .map(e => Number(e.dataset.row))""")
    expected = []
    for stage in read_csv(folder / "stage_kpis.csv"):
        rows = [(float(row["removal_effect"]), -n, n) for n, row in enumerate(attribution)
                if row["stage"] == stage["stage"] and row["removal_effect"]]
        expected += [n for _, _, n in sorted(rows, reverse=True)[:report.OPPORTUNITIES]]
    assert shown == expected and shown
    predicted = dict(purchase.page.evaluate("""() => [...document.querySelectorAll(".journey-grid .whatif")]
        .map(e => [e.dataset.touchpoint, Number(e.dataset.value)])"""))
    assert set(predicted) == {attribution[n]["touchpoint"] for n in shown}
    for touchpoint, value in list(predicted.items())[:3]:
        out = folder.parent / "whatif" / touchpoint
        done = subprocess.run([sys.executable, "-m", "journey_mining.cli", "whatif",
                               str(REPOSITORY / "data_samples" / "definitions" / "purchase.yaml"), "--db",
                               str(mined / "journeys.duckdb"), "--out", str(out), "--scenario",
                               f"exit {touchpoint} = -20%"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        (row,) = [row for row in read_csv(out / "purchase" / "whatif.csv") if row["stage"] == "(conversion)"]
        assert value == pytest.approx(float(row["predicted"]), abs=1e-12), touchpoint
        line = purchase.page.text_content(f'.journey-grid li:has(.whatif[data-touchpoint="{touchpoint}"])')
        assert line.endswith(f"conversion {100 * float(row['baseline']):.2f} % → {100 * float(row['predicted']):.2f} %")


def test_the_population_picker_shows_each_segment_values_journeys_and_stages(purchase, mined):
    """Every segment value offered (the most journeys first, up to SEGMENT_VALUES a segment) shows its own
    row of segments.csv and every stage's row of segment_stage_kpis.csv, and nothing else; back to all
    journeys shows stage_kpis.csv."""
    folder = mined / "purchase"
    segments = read_csv(folder / "segments.csv")
    stages = read_csv(folder / "segment_stage_kpis.csv")
    offered = purchase.page.evaluate("() => [...document.querySelectorAll('#population option')].map(o => o.value)")
    expected = [f"{row['segment']}={row['value']}" for row in segments]
    expected = [key for n, key in enumerate(expected)
                if sum(other.split("=")[0] == key.split("=")[0] for other in expected[:n]) < report.SEGMENT_VALUES]
    assert offered == ["", *expected] and {row["segment"] for row in segments} == {"channel", "product", "persona"}
    for key in offered[1:] + [""]:
        purchase.page.select_option("#population", key)
        shown = purchase.page.evaluate("""() => [...document.querySelectorAll(".population")].filter(b => !b.hidden)
            .map(b => ({key: b.dataset.population, rows: [...b.querySelectorAll("table[data-csv] tr[data-row]")]
                .map(tr => [tr.closest("table").dataset.csv, Number(tr.dataset.row)]), visible: b.offsetHeight > 0}))""")
        assert [(block["key"], block["visible"]) for block in shown] == [(key, True)]
        segment, _, value = key.partition("=")
        if not key:
            assert shown[0]["rows"] == [["stage_kpis.csv", n] for n in range(len(read_csv(folder / "stage_kpis.csv")))]
            continue
        assert shown[0]["rows"] == (
            [["segments.csv", n] for n, row in enumerate(segments) if (row["segment"], row["value"]) == (segment, value)]
            + [["segment_stage_kpis.csv", n] for n, row in enumerate(stages)
               if (row["segment"], row["value"]) == (segment, value)])
        assert len(shown[0]["rows"]) == 1 + len(read_csv(folder / "stage_kpis.csv"))  # every stage


def drawn_edges(page, selector: str) -> dict[tuple[str, str], dict]:
    """The edges of the map under `selector` by (source, target) name: the count shown and the change marked."""
    drawn = page.evaluate("""(selector) => {
        const map = document.querySelector(selector);
        const names = {start: "(start)"};
        map.querySelectorAll("g.node").forEach(g => {
            const id = g.querySelector("title").textContent;
            if (id.startsWith("tp")) { names[id] = g.querySelector("text").textContent; }
        });
        return [...map.querySelectorAll("g.edge")].map(g => {
            const [source, target] = g.querySelector("title").textContent.split("->");
            const change = [...g.classList].find(c => c.startsWith("change-"));
            return [names[source], names[target], g.dataset.transitions, change ? change.slice(7) : null];
        });
    }""", selector)
    return {(source, target): {"count": count, "change": change} for source, target, count, change in drawn}


def test_each_personas_map_draws_its_own_journeys_transitions(purchase, mined):
    """A persona's map (picked) shows the transitions of its persons' journeys taken by at least 1 % of
    them, each with its count, as counted here from persona_members.parquet and journeys.parquet; and its
    strongest touchpoints are the twin's fitted on those journeys alone."""
    purchase_definition = definition.load(REPOSITORY / "data_samples" / "definitions" / "purchase.yaml")
    folder = mined / "purchase"
    members = dict(zip(*pq.read_table(folder / "persona_members.parquet", columns=["person_id", "persona"])
                       .to_pydict().values()))
    journeys = pq.read_table(folder / "journeys.parquet", columns=["person_id", "path"]).to_pylist()
    offered = purchase.page.evaluate("() => [...document.querySelectorAll('#population option')].map(o => o.value)")
    personas = [key for key in offered if key.startswith("persona=") and key != "persona=(none)"]
    assert personas
    for key in personas[:3]:
        persona = int(key.split("=")[1])
        paths = [row["path"] for row in journeys if members.get(row["person_id"]) == persona]
        counts, taken = {}, {}
        for number, path in enumerate(paths):
            steps = ["(start)", *path.split(" > "), "(end)"]
            for edge in zip(steps, steps[1:]):
                counts[edge] = counts.get(edge, 0) + 1
                taken.setdefault(edge, set()).add(number)
        shown = {edge: count for edge, count in counts.items() if len(taken[edge]) >= math.ceil(0.01 * len(paths))}
        purchase.page.select_option("#population", key)
        index = offered.index(key) - 1
        drawn = drawn_edges(purchase.page, f"#population-{index}")
        assert {edge: int(value["count"]) for edge, value in drawn.items()} == {
            edge: count for edge, count in shown.items() if edge[1] != "(end)"}, key
        # the twin fitted on the persona's journeys alone: its strongest touchpoints, in order
        index_of = {t.name: i for i, t in enumerate(purchase_definition.touchpoints)}
        steps = [(number, index_of[name]) for number, path in enumerate(paths) for name in path.split(" > ")]
        effects = twin.build(purchase_definition, twin.chain_paths(
            np.array([j for j, _ in steps]), np.array([t for _, t in steps]), purchase_definition), 0).figures.removal_effect
        expected = sorted(((float(e), purchase_definition.touchpoints[i].name) for i, e in enumerate(effects)
                           if np.isfinite(e)), key=lambda pair: -pair[0])[:report.TOP_REMOVAL_EFFECTS]
        shown_effects = purchase.page.evaluate(f"""() => [...document.querySelectorAll(
            '[data-population="{key}"] .removal-effects tr')].slice(1).map(tr => [
            Number(tr.cells[1].dataset.removalEffect), tr.cells[0].textContent])""")
        assert [(pytest.approx(e, abs=1e-12), name) for e, name in expected] == [tuple(row) for row in shown_effects]
    purchase.page.select_option("#population", "")


def test_compare_writes_both_maps_with_the_differences_marked(browser, mined):
    folder = mined / "purchase"
    done = subprocess.run([sys.executable, "-m", "journey_mining.cli", "compare",
                           str(REPOSITORY / "data_samples" / "definitions" / "purchase.yaml"),
                           "--db", str(mined / "journeys.duckdb"), "--out", str(mined), "--segment", "channel=google"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = read_csv(folder / "comparison.csv")
    differences = [row for row in rows if row["kind"]]
    assert differences and all(not row["kind"] for row in rows[len(differences):])  # differences first
    opened = Opened(browser, folder / "comparison.html")
    assert opened.errors == [] and opened.requests == [opened.path.as_uri()]
    cells = opened.page.evaluate("""() => [...document.querySelectorAll("table[data-csv] tr[data-row] td")]
        .map(td => [td.closest("table").dataset.csv, Number(td.parentElement.dataset.row), td.dataset.column,
                    td.dataset.value])""")
    assert {row for _, row, _, _ in cells} == set(range(len(differences)))
    for name, row, column, value in cells:
        assert name == "comparison.csv"
        expected = rows[row][column]
        assert (value == expected) if not _number(expected) else float(value) == float(expected), (row, column)
    changed = {tuple(row["item"].split(" > ")): row["kind"] for row in differences if row["item_kind"] == "transition"}
    for side in ("#side-0", "#side-1"):
        drawn = drawn_edges(opened.page, side)
        assert {edge: value["change"] for edge, value in drawn.items() if value["change"]} == {
            edge: kind for edge, kind in changed.items() if edge in drawn}
        assert any(value["change"] for value in drawn.values())
    opened.close()


def test_the_headline_and_the_run_summary_are_summary_json(purchase, mined):
    summary = json.loads((mined / "purchase" / "summary.json").read_text(encoding="utf-8"))
    figures = purchase.page.evaluate("""() => [...document.querySelectorAll("[data-key]")]
        .map(e => [e.dataset.key, e.dataset.value, e.textContent])""")
    files = [f for f in figures if f[0] in ("path", "source", "read", "loaded", "duplicates", "quarantined")]
    assert len(files) == 6 * len(summary["files"])
    for key, value, text in figures:
        if key in ("path", "source", "read", "loaded", "duplicates", "quarantined"):
            continue
        expected = summary[key] if "." not in key else summary[key.split(".")[0]][key.split(".")[1]]
        assert (int(value), text.replace(",", "")) == (expected, str(expected)), key
    listed = [dict(zip(("path", "source", "read", "loaded", "duplicates", "quarantined"),
                       [f[1] for f in files[i:i + 6]])) for i in range(0, len(files), 6)]
    assert listed == [{key: str(value) for key, value in f.items()} for f in summary["files"]]


def test_the_maps_counts_are_the_transitions_and_add_up_at_every_touchpoint(purchase, mined):
    """Every edge drawn is a row of transitions.csv with its count; nothing into (end) is drawn and nothing
    hidden is; each touchpoint says its exits and the steps of the hidden transitions into and out of it,
    so that steps in = steps out + exits at every touchpoint."""
    folder = mined / "purchase"
    transitions = {(row["source"], row["target"]): row for row in read_csv(folder / "transitions.csv")}
    touchpoints = {row["touchpoint"]: row for row in read_csv(folder / "touchpoint_kpis.csv")}
    level = purchase.level()
    minimum = int(level["data"]["minimumJourneys"])
    steps_in, steps_out = {}, {}
    for edge in level["edges"]:
        source, target = edge["source"], edge["target"]
        row = transitions[(source, target)]
        assert (int(edge["count"]), edge["kind"]) == (int(row["transitions"]), row["kind"])
        assert int(row["journeys"]) >= minimum and target != "(end)"
        assert edge["label"] in (None, f"{int(row['transitions']):,}")
        steps_out[source] = steps_out.get(source, 0) + int(edge["count"])
        steps_in[target] = steps_in.get(target, 0) + int(edge["count"])
    hidden = [row for row in transitions.values() if int(row["journeys"]) < minimum and row["target"] != "(end)"]
    assert int(level["data"]["hiddenEdges"]) == len(hidden) > 0
    assert {node["name"] for node in level["nodes"]} == {"(start)"} | steps_in.keys() | steps_out.keys()
    for node in level["nodes"]:
        name = node["name"]
        if name == "(start)":
            continue
        kpis, data = touchpoints[name], node["data"]
        assert node["label"][1:] == [f"{int(kpis['journeys']):,} journeys",
                                     "goal" if int(kpis["exits"]) == 0 and name == "Order"
                                     else f"↘ {100 * float(kpis['exit_rate']):.1f} % leave"]
        hidden_in = sum(int(row["transitions"]) for row in hidden if row["target"] == name)
        hidden_out = sum(int(row["transitions"]) for row in hidden if row["source"] == name)
        assert (int(data["hiddenIn"]), int(data["hiddenOut"]), int(data["exits"])) == (
            hidden_in, hidden_out, int(kpis["exits"]))
        into_end = int(transitions[(name, "(end)")]["transitions"]) if (name, "(end)") in transitions else 0
        assert steps_in.get(name, 0) + hidden_in == steps_out.get(name, 0) + hidden_out + into_end, name


def test_no_two_labels_on_the_map_overlap_and_it_fits_1400_by_900(browser, mined, capsys):
    """At every level of both sample maps, the text drawn (node lines, stage names, the edge counts left
    shown) never overlaps, measured on the page's own boxes; at the default level the map fits a
    1400 x 900 window; the page opens in under 2 s (printed)."""
    for journey in ("purchase", "service"):
        path = mined / journey / "report.html"
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        opened = time.perf_counter() - started
        box = page.evaluate("""() => {
            const level = document.querySelector(".map-level:not([hidden]) svg").getBoundingClientRect();
            return [level.width, level.height];
        }""")
        assert box[0] <= 1400 and box[1] <= 900, (journey, box)
        options = page.eval_on_selector_all("#rare-threshold option", "os => os.map(o => o.value)")
        for option in options:
            page.select_option("#rare-threshold", option)
            # a label is a node's lines together, a stage's name or an edge's count
            boxes = page.evaluate("""() => {
                const level = document.querySelector(".map-level:not([hidden]) svg");
                const shown = t => getComputedStyle(t).display !== "none";
                const box = (texts) => {
                    const b = texts.map(t => t.getBoundingClientRect());
                    return [Math.min(...b.map(r => r.left)), Math.min(...b.map(r => r.top)),
                            Math.max(...b.map(r => r.right)), Math.max(...b.map(r => r.bottom)),
                            texts.map(t => t.textContent).join(" / ")];
                };
                return [...level.querySelectorAll("g.node")].map(g => box([...g.querySelectorAll("text")]))
                    .concat([...level.querySelectorAll("g.cluster > text, g.edge text")].filter(shown)
                    .map(t => box([t])));
            }""")
            for first, second in itertools.combinations(boxes, 2):
                apart = (first[2] <= second[0] + 0.5 or second[2] <= first[0] + 0.5
                         or first[3] <= second[1] + 0.5 or second[3] <= first[1] + 0.5)
                assert apart, (journey, option, first, second)
        page.close()
        with capsys.disabled():
            print(f"\n{journey}: report.html opened in {opened:.2f} s at 1400 x 900; map {box[0]:.0f} x {box[1]:.0f}")


def test_picking_a_variant_highlights_exactly_its_edges(purchase, mined):
    variants = read_csv(mined / "purchase" / "variants.csv")[:report.HIGHLIGHTED_VARIANTS]
    offered = purchase.page.eval_on_selector_all("#variant-path option", "os => os.map(o => o.value)")
    assert offered == [""] + [str(n) for n, row in enumerate(variants) if row["path"]]
    for value in offered[1:]:
        purchase.page.select_option("#variant-path", value)
        level = purchase.level()
        steps = ["(start)", *variants[int(value)]["path"].split(" > ")]
        drawn = {(edge["source"], edge["target"]) for edge in level["edges"]}
        assert {(edge["source"], edge["target"]) for edge in level["edges"] if edge["on_path"]} == \
            set(zip(steps, steps[1:])) & drawn
    purchase.page.select_option("#variant-path", "")
    assert not any(edge["on_path"] for edge in purchase.level()["edges"])


def test_the_rare_edge_control_changes_the_map_and_the_coverage_it_prints(purchase, mined):
    folder = mined / "purchase"
    journeys = len(pq.read_table(folder / "journeys.parquet"))
    options = purchase.page.eval_on_selector_all("#rare-threshold option", "os => os.map(o => o.value)")
    assert len(options) >= 3
    seen = []
    for option in options:
        purchase.page.select_option("#rare-threshold", option)
        level = purchase.level()
        assert level["id"] == option
        minimum = int(level["data"]["minimumJourneys"])
        assert minimum == math.ceil(float(level["data"]["share"]) * journeys)
        expected = covered(folder, minimum)
        assert float(level["coverage"]) == expected / journeys
        assert level["coverage_text"] == f"{100 * expected / journeys:.1f} %"
        seen.append((minimum, len(level["edges"]), expected))
    assert purchase.errors == []
    minimums, _, coverages = zip(*seen)
    assert list(minimums) == sorted(minimums) and coverages[0] == journeys and coverages[-1] < journeys
    assert len({edges for _, edges, _ in seen}) > 1  # each level shows another map


def test_a_map_of_200_touchpoints_stays_light_and_responsive(browser, tmp_path, capsys):
    """Ten stages of twenty touchpoints, 3,000 persons wandering among them: the report leaves out the
    levels too dense to read, and the page loads and switches levels quickly (printed, not asserted)."""
    out = _wide_journeys(tmp_path)
    path = out / "wide" / "report.html"
    started = time.perf_counter()
    opened = Opened(browser, path)
    loaded = time.perf_counter() - started
    options = opened.page.eval_on_selector_all("#rare-threshold option", "os => os.map(o => o.value)")
    started = time.perf_counter()
    edges = []
    for option in options:
        opened.page.select_option("#rare-threshold", option)
        level = opened.level()
        assert level["id"] == option
        edges.append(len(level["edges"]))
    switched = (time.perf_counter() - started) / len(options)
    assert opened.errors == [] and opened.requests == [path.as_uri()]
    opened.close()
    with capsys.disabled():
        print(f"\n200 touchpoints: report.html {path.stat().st_size / 1e6:.1f} MB, map levels showing {edges} "
              f"transitions, loaded in {loaded:.2f} s, {switched * 1000:.0f} ms per level switch (with reading "
              "the level back)")
    assert max(edges) <= report.MAX_MAP_EDGES


def _wide_journeys(folder: Path) -> Path:
    stages, per_stage = 10, 20
    lines = ["name: wide", "stages:"]
    for stage in range(stages):
        lines += [f"  - name: Stage {stage}", "    touchpoints:"]
        lines += [f"      - {{name: 'TP {stage}-{n}', match: {{event: tp_{stage}_{n}}}"
                  + (", goal: true}" if (stage, n) == (stages - 1, 0) else "}") for n in range(per_stage)]
    landing = folder / "landing" / "2026-10-01" / "clickstream"
    landing.mkdir(parents=True)
    rnd = random.Random(3)
    rows = []
    for person in range(3000):
        stage, at = 0, datetime(2026, 9, 1, tzinfo=timezone.utc) + timedelta(minutes=rnd.randrange(10_000))
        for step in range(rnd.randint(2, 12)):
            stage = max(0, min(stages - 1, stage + rnd.choice([0, 1, 1, 1, 2, -1])))
            at += timedelta(minutes=rnd.randint(1, 300))
            rows.append({"event_id": f"{person}-{step}", "anonymous_id": f"a{person}", "timestamp": at.isoformat(),
                         "event": f"tp_{stage}_{min(per_stage - 1, int(rnd.expovariate(0.25)))}"})
    (landing / "events.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    (folder / "wide.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    analysis.mine_landing(folder / "landing", [folder / "wide.yaml"], folder / "out", folder / "journeys.duckdb")
    return folder / "out"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text not in ("nan", "inf", "-inf")


def test_a_stuck_graphviz_is_killed_at_its_time_limit_and_said_in_one_line(tmp_path, monkeypatch):
    """Graphviz that hangs and ignores SIGTERM: the run fails after the limit and the child is gone."""
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                    "time.sleep(600)\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(report, "DOT_TIMEOUT_S", 2)

    started = time.monotonic()
    with pytest.raises(JourneyError, match="^Graphviz took longer than 2 s to lay out the journey map; it was "
                                           "stopped$"):
        report._layout("digraph { a -> b }")

    assert time.monotonic() - started < 10
    alive = subprocess.run(["pgrep", "-f", str(fake)], capture_output=True, text=True).stdout.split()
    assert alive == []
