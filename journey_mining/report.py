"""report.html: the journey map of one mined definition, one self-contained file (SPEC section 6).

It opens with four findings in one sentence each (the biggest leak, the most common path, the conformance
rate, the steepest fall of feelings) and the journey grid: a column per stage, rows for reach and drop-off,
the touchpoints, the median time to reach, the feelings curve, the pain points and the opportunities.

The map puts the observed paths into the assumed journey: stages as columns in their assumed order,
touchpoints inside them coloured by exit rate and saying their own exits ("↘ 34.0 % leave"), transitions
as edges as wide as their count and coloured by conformance kind. Graphviz's `dot` lays it out. A control
hides rare edges: each level shows the edges taken by at least a share of the journeys, draws nothing of
what it hides (each touchpoint's tooltip gives its steps on hidden transitions) and prints the share of
journeys whose whole path it shows. Another control highlights one of the top variants as a path. Beside
the map: the stage funnel, the feelings curve, the top variants, the deviations, the funnels and the run
summary.

Every figure is read from the same queries the CSV files are written from; each cell (and each figure in
the findings and the grid) carries the exact value in `data-value` and the CSV cell it comes from, so a
browser test can compare them.
"""

import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from journey_mining import child_process, comparisons, mining, paths, sql, twin
from journey_mining.child_process import DOT_TIMEOUT_S
from journey_mining.definition import PATH_JOIN, PERSONA, Definition

# The map's own nodes; a definition may not name a touchpoint so.
START, END = "(start)", "(end)"
# Levels of the rare-edge control: an edge is shown when at least this share of journeys took it.
LEVELS = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1)
DEFAULT_LEVEL = 0.01
OPENING_EDGES = 60  # the map opens at the DEFAULT_LEVEL, or the first level above it that draws at most this many
MAX_MAP_EDGES = 400  # a level showing more edges is left out: no one reads it, and it weighs megabytes
TOP_VARIANTS = 20
HIGHLIGHTED_VARIANTS = 5  # the paths the map can highlight
TOP_NOT_TAKEN = 100  # assumed transitions nobody took: the rest are in deviations.csv
TOP_REMOVAL_EFFECTS = 5  # per segment value in the picker
OPPORTUNITIES = 2  # per stage in the journey grid: the touchpoints of highest removal effect
FEWER_EXITS_PERCENT = 20  # the what-if the grid shows for each of them
SEGMENT_VALUES = 10  # per segment in the population picker, the most journeys first: all are in segments.csv
KIND_COLOURS = {"expected": "#7b8794", "skip": "#e08214", "backward": "#8e44ad", "entry": "#2c7fb8"}
NUMBER = ' class="number"'


def write_report(con: duckdb.DuckDBPyConnection, definition: Definition, folder: Path) -> Path:
    """`folder/report.html` from the definition's mined tables and `folder/summary.json`; its path."""
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    tables = {name: _rows(con, name, definition.name) for name in (
        "stage_kpis", "touchpoint_kpis", "transitions", "deviations", "conformance", "funnels", "feelings",
        "attribution", "twin_stages", "segments", "segment_stage_kpis", "personas", "alerts")}
    tables["variants"] = _rows(con, "variants", definition.name, first=TOP_VARIANTS)  # the page shows no more
    (variants,) = sql.one(con, "select count(*) from variants where definition = ?", [definition.name])
    rarest = sql.run(con, "exports/rarest_edges", {"definition": definition.name})
    page = _page(definition, summary, tables, rarest, variants, _segment_populations(con, definition, tables),
                 _fewer_exits(con, definition, tables["attribution"]))
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _segment_populations(con: duckdb.DuckDBPyConnection, definition: Definition,
                         tables: dict[str, list[dict]]) -> dict[object, dict]:
    """The maps' data of the segment values the population picker offers (`segment=value`)."""
    shown = _shown_values(tables["segments"])
    if not shown:
        return {}
    mining.load_definition(con, definition)
    sql.run_steps(con, "segments", {"definition": definition.name}, phase="values")
    with sql.handed_over(con, {"shown_values": pa.table({"segment": [row["segment"] for _, row in shown],
                                                         "value": [row["value"] for _, row in shown]})}):
        comparisons.grouped(con, "population_journeys", {})
    return drawn_populations(con, definition, "population_journeys")


def _shown_values(segments: list[dict]) -> list[tuple[int, dict]]:
    """The rows of segments.csv (number, row) the picker offers: the SEGMENT_VALUES first of each segment."""
    seen: dict[str, int] = {}
    shown = []
    for number, row in enumerate(segments):
        seen[row["segment"]] = seen.get(row["segment"], 0) + 1
        if seen[row["segment"]] <= SEGMENT_VALUES:
            shown.append((number, row))
    return shown


def _rows(con: duckdb.DuckDBPyConnection, table: str, definition: str, first: int | None = None) -> list[dict]:
    rows = sql.relation(con, f"exports/{table}", {"definition": definition})
    return (rows if first is None else rows.limit(first)).to_arrow_table().to_pylist()


# --- the map ------------------------------------------------------------------------------------------

CHANGE_COLOURS = {"increase": "#1a9850", "new": "#1a9850", "decrease": "#d73027", "vanished": "#d73027"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    transitions: int
    kind: str  # a conformance kind


@dataclass(frozen=True)
class MapLevel:
    """What the map shows when edges taken by fewer than `minimum_journeys` journeys are hidden. Exits (the
    transitions into (end)) are never drawn as edges: each touchpoint says its own. `hidden_steps` holds, per
    touchpoint drawn, the steps of the hidden transitions into and out of it."""

    share: float
    minimum_journeys: int
    edges: tuple[Edge, ...]
    hidden_edges: int
    hidden_touchpoints: tuple[str, ...]
    covered_journeys: int
    hidden_steps: dict[str, tuple[int, int]]


def map_levels(transitions: list[dict], total_journeys: int,
               rarest: Sequence[tuple[int, int]]) -> list[MapLevel]:
    """One level per distinct set of shown edges, from all edges to the fewest; levels that would
    show more than MAX_MAP_EDGES edges are left out, unless no level shows fewer.

    `rarest`: (journeys of a journey's rarest edge, journeys) pairs; a journey is covered by a level
    when its rarest edge (its exit included) is shown.
    """
    between = [t for t in transitions if t["target"] != END]  # exits are the touchpoints' own figures
    levels, seen = [], set()
    for share in LEVELS:
        minimum = math.ceil(share * total_journeys)
        shown = frozenset(i for i, t in enumerate(between) if t["journeys"] >= minimum)
        too_dense = len(shown) > MAX_MAP_EDGES and (levels or share != LEVELS[-1])  # the last level stays
        if shown in seen or (not shown and levels) or too_dense:
            continue
        seen.add(shown)
        levels.append(_level(share, minimum, between, shown,
                             sum(journeys for edge_journeys, journeys in rarest if edge_journeys >= minimum)))
    return levels


def _opening_level(levels: list[MapLevel]) -> MapLevel | None:
    """The level the map opens at: the one showing the edges taken by DEFAULT_LEVEL of journeys or, when that
    draws more than OPENING_EDGES edges (journeys that wander: the lines would hide each other), the first
    level above it that draws no more (else the last). Levels go from the lowest share up."""
    start = max((n for n, level in enumerate(levels) if level.share <= DEFAULT_LEVEL), default=0)
    return next((level for level in levels[start:] if len(level.edges) <= OPENING_EDGES), levels[-1] if levels else None)


def _level(share: float, minimum: int, between: list[dict], shown: frozenset[int], covered: int) -> MapLevel:
    edges = tuple(Edge(t["source"], t["target"], t["transitions"], t["kind"])
                  for i, t in enumerate(between) if i in shown)
    visible = {e.source for e in edges} | {e.target for e in edges}
    hidden_in: dict[str, int] = {}
    hidden_out: dict[str, int] = {}
    for i, t in enumerate(between):
        if i not in shown:
            hidden_out[t["source"]] = hidden_out.get(t["source"], 0) + t["transitions"]
            hidden_in[t["target"]] = hidden_in.get(t["target"], 0) + t["transitions"]
    touched = ({t["source"] for t in between} | {t["target"] for t in between}) - {START}
    return MapLevel(share, minimum, edges, len(between) - len(shown), tuple(sorted(touched - visible)), covered,
                    {name: (hidden_in.get(name, 0), hidden_out.get(name, 0)) for name in visible - {START}})


def _dot(definition: Definition, level: MapLevel, key: str, touchpoints: dict[str, dict],
         widest: int, changes: dict[tuple[str, str], str] | None = None) -> str:
    """The DOT text of one level: a cluster per stage, left to right in the assumed order.

    Nodes are known by ids of their own (`tp<index>`, `start`), never by the names, and every name is
    written as an HTML-like label (`_label`): so any name shows as written. Each touchpoint shows its exits
    as a line of its own ("↘ 34.0 % leave"), so no edge runs to a far end node. An edge's count is a label
    Graphviz places only where it overlaps nothing (forcelabels=false); the count is on the edge anyway
    (`_with_data`). `changes` marks the transitions a comparison found different (by their change:
    increase, new, decrease, vanished), and the touchpoints whose exits (the transition into (end)) changed.
    """
    changes = changes or {}
    node = {START: "start"}
    node.update({t.name: f"tp{index}" for index, t in enumerate(definition.touchpoints)})
    lines = [f'digraph "{key}" {{',
             f'  id="{key}"; rankdir=LR; newrank=true; nodesep=0.25; ranksep=0.9; bgcolor="transparent"; '
             'forcelabels=false;',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, penwidth=1.2];',
             '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.6];',
             f'  start [id="{key}-start", class="terminal", shape=circle, label="start", fillcolor="#ffffff", '
             'fontsize=9];']
    shown = {e.source for e in level.edges} | {e.target for e in level.edges}
    anchors = [START]
    for stage in definition.stages:
        members = [t for t in definition.touchpoints if t.stage_index == stage.index and t.name in shown]
        lines.append(f'  subgraph "cluster_{stage.index}" {{ id="{key}-stage-{stage.index}"; '
                     f'label={_label(stage.name)}; labeljust=l; fontname="Helvetica-Bold"; fontsize=12; '
                     'style="rounded,filled"; fillcolor="#f4f6f8"; color="#d5dbe1";')
        for touchpoint in members:
            kpis = touchpoints[touchpoint.name]
            exit_rate = kpis["exit_rate"]
            hidden_in, hidden_out = level.hidden_steps.get(touchpoint.name, (0, 0))
            label = _label(touchpoint.name, f"{kpis['journeys']:,} journeys",
                           "goal" if touchpoint.goal else f"↘ {_percent(exit_rate)} leave")
            tooltip = (f"{touchpoint.name}: {kpis['journeys']:,} journeys, {kpis['exits']:,} leave here"
                       + (f"; not drawn at this level: {hidden_in:,} steps in and {hidden_out:,} out, on rare "
                          "transitions" if hidden_in or hidden_out else ""))
            change = changes.get((touchpoint.name, END))
            marked = (f', color="{CHANGE_COLOURS[change]}", penwidth=3' if change else "")
            lines.append(f'    {node[touchpoint.name]} [id="{key}-tp-{definition.touchpoints.index(touchpoint)}", '
                         f'class="touchpoint{f" change-{change}" if change else ""}", label={label}, '
                         f'tooltip="{_escaped(tooltip)}", fillcolor="{_exit_colour(exit_rate)}", '
                         f'fontcolor="{"#ffffff" if (exit_rate or 0) > 0.55 else "#1d2733"}"'
                         f'{", peripheries=2" if touchpoint.goal else ""}{marked}];')
        if members:  # one column per stage
            lines.append("    { rank=same; " + " ".join(node[t.name] + ";" for t in members) + " }")
        lines.append("  }")
        if members:
            anchors.append(members[0].name)
    for before, after in zip(anchors, anchors[1:]):  # keeps the stages in their assumed order
        lines.append(f"  {node[before]} -> {node[after]} [style=invis, weight=20];")
    for n, edge in enumerate(level.edges):
        change = changes.get((edge.source, edge.target))
        colour = CHANGE_COLOURS[change] if change else KIND_COLOURS[edge.kind]
        # width by count; backward moves do not pull the layout (so the stages keep their order)
        style = (f", penwidth={1 + 7 * edge.transitions / widest + (3 if change else 0):.2f}"
                 + (", constraint=false" if edge.kind == "backward" else ""))
        lines.append(f'  {node[edge.source]} -> {node[edge.target]} [id="{key}-edge-{n}", '
                     f'class="transition kind-{edge.kind}{f" change-{change}" if change else ""}", '
                     f'xlabel="{edge.transitions:,}", tooltip="{_escaped(f"{edge.source} → {edge.target}: {edge.transitions:,} steps ({edge.kind})")}", '
                     f'color="{colour}", fontcolor="{colour}"{style}];')
    lines.append("}")
    return "\n".join(lines)


def _escaped(text: str) -> str:
    """Text for a quoted DOT attribute (a tooltip): quotes and backslashes escaped, no newline."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _with_data(svg: str, key: str, definition: Definition, level: MapLevel, touchpoints: dict[str, dict]) -> str:
    """The map's SVG with each edge's and touchpoint's figures as data attributes on its group (Graphviz
    writes no data-*): what a browser, a test or a script reads, whether or not a label is drawn."""
    index = {t.name: i for i, t in enumerate(definition.touchpoints)}

    def edge(found: re.Match) -> str:
        drawn = level.edges[int(found.group(1))]
        data = {"data-source": index.get(drawn.source, -1), "data-target": index[drawn.target],
                "data-transitions": drawn.transitions}
        return found.group(0) + _attributes(data)

    def touchpoint(found: re.Match) -> str:
        name = definition.touchpoints[int(found.group(1))].name
        kpis = touchpoints[name]
        hidden_in, hidden_out = level.hidden_steps.get(name, (0, 0))
        data = {"data-touchpoint": int(found.group(1)), "data-journeys": kpis["journeys"], "data-exits": kpis["exits"],
                "data-exit-rate": kpis["exit_rate"], "data-hidden-in": hidden_in, "data-hidden-out": hidden_out}
        return found.group(0) + _attributes(data)

    svg = svg.replace("&#45;", "-")  # Graphviz writes a hyphen as its character reference: the same text
    svg = re.sub(rf'<g id="{re.escape(key)}-edge-(\d+)" class="[^"]*"', edge, svg)
    return re.sub(rf'<g id="{re.escape(key)}-tp-(\d+)" class="[^"]*"', touchpoint, svg)


def drawn_populations(con: duckdb.DuckDBPyConnection, definition: Definition, grouping: str) -> dict[object, dict]:
    """Per group of the comparison grouping `grouping` (comparisons.GROUPINGS, made before): its journeys,
    touchpoints (journeys, exits, exit rate) and transitions (steps, journeys, kind) as the map draws them, and
    the removal effects of the twin fitted on its journeys alone. The path steps are read once, however many
    groups a journey is in, and each group's taken from them (a group whose journeys have no step: none)."""
    fragments = comparisons.groups_fragment(grouping)
    steps = sql.arrow(con, "comparisons/grouped_steps", {"definition": definition.name}, fragments=fragments)
    key, touchpoint, at = (steps.column(c).to_numpy() for c in ("journey_key", "touchpoint_index", "t"))
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
    journeys, ends = key[first], np.r_[first[1:], len(key)]
    drawn = {}
    for group, members in sql.groups(con, "comparisons/group_members", {}, fragments=fragments):
        wanted = members.column("journey_key").to_numpy()
        found = np.minimum(np.searchsorted(journeys, wanted), max(len(journeys) - 1, 0))
        found = found[journeys[found] == wanted] if len(journeys) else found[:0]
        if len(found):
            taken = paths.ranges(first[found], ends[found])
            drawn[group] = _population(definition, key[taken], touchpoint[taken].astype(np.int64), at[taken])
    return drawn


def _population(definition: Definition, key: np.ndarray, touchpoint: np.ndarray, at: np.ndarray) -> dict:
    """What the map of some journeys draws, from their path steps (in journey and step order)."""
    names = [t.name for t in definition.touchpoints]
    count = len(names)
    new = np.r_[True, key[1:] != key[:-1]]
    journey, first = np.cumsum(new) - 1, np.flatnonzero(new)
    converted = np.logical_or.reduceat(paths.goal_of(definition)[touchpoint], first)
    last = np.r_[first[1:], len(touchpoint)] - 1
    having = np.bincount(paths.distinct(journey * count + touchpoint) % count, minlength=count)
    exits = np.bincount(touchpoint[last][~converted], minlength=count)
    moves = paths.transitions(journey, touchpoint, at, definition)
    width = count + 1  # edge codes: source (start) is 0, target (end) is 0
    code = paths.edge_codes(moves, count)
    steps, journeys = np.bincount(code, minlength=width * width), paths.edge_journeys(moves, count)
    kind = np.zeros(width * width, np.int64)
    kind[code] = moves.kind
    taken = sorted(np.flatnonzero(steps), key=lambda c: (-steps[c], c))
    return {
        "journeys": len(first),
        "touchpoints": {names[t]: {"journeys": int(having[t]), "exits": int(exits[t]), "exit_rate": exits[t] / having[t]}
                        for t in np.flatnonzero(having)},
        "transitions": [{"source": START if c // width == 0 else names[c // width - 1],
                         "target": END if c % width == 0 else names[c % width - 1], "transitions": int(steps[c]),
                         "journeys": int(journeys[c]), "kind": paths.KINDS[kind[c]]} for c in taken],
        "removal_effects": twin.build(definition, twin.chain_paths(journey, touchpoint, definition), 0).figures.removal_effect}


def _population_map(definition: Definition, population: dict | None, key: str,
                    changes: dict[tuple[str, str], str] | None = None) -> str:
    """The map of some journeys (drawn_populations) at the default level, without the level control."""
    if not population or not population["journeys"]:
        return '<p class="empty">No journeys.</p>'
    levels = map_levels(population["transitions"], population["journeys"], ())
    level = max([level for level in levels if level.share <= DEFAULT_LEVEL] or levels[-1:], key=lambda level: level.share)
    widest = max(t["transitions"] for t in population["transitions"])
    svg = _with_data(_layout(_dot(definition, level, key, population["touchpoints"], widest, changes)), key,
                     definition, level, population["touchpoints"])
    return f'<div class="population-map"{_attributes({"id": key, "data-share": level.share})}>{svg}</div>'


def _layout(dot_text: str) -> str:
    """The SVG Graphviz lays the graph out as, without its XML prologue (it goes inline)."""
    svg = child_process.dot(dot_text, "svg", "lay out the journey map", DOT_TIMEOUT_S)
    return svg[svg.index("<svg"):]


def _label(*lines: str) -> str:
    r"""An HTML-like DOT label of these lines, each shown as written: Graphviz reads entities in it
    (so `<`, `>`, `&` and quotes are escaped as entities) and then escapes such as `\N` (the node's
    id) and `\\` (one backslash), so each backslash is doubled first.

    >>> _label("<b>R&D</b> \\N", "2 journeys")
    '<&lt;b&gt;R&amp;D&lt;/b&gt; \\\\N<BR/>2 journeys>'
    """
    return "<" + "<BR/>".join(html.escape(line.replace("\\", "\\\\")) for line in lines) + ">"


def _exit_colour(rate: float | None) -> str:
    """White for no exits to deep red for all, linearly (the legend shows the scale)."""
    low, high = (255, 255, 255), (203, 24, 29)
    t = 0.0 if rate is None else rate
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(low, high))


# --- the page -----------------------------------------------------------------------------------------

def _page(definition: Definition, summary: dict, tables: dict[str, list[dict]],
          rarest: Sequence[tuple[int, int]], variants: int, drawn: dict[object, dict],
          fewer_exits: tuple[float, dict[str, float]]) -> str:
    """The page; `tables` hold the first TOP_VARIANTS of the `variants`."""
    total = summary["journeys"]
    touchpoints = {row["touchpoint"]: row for row in tables["touchpoint_kpis"]}
    levels = map_levels(tables["transitions"], total, rarest)
    widest = max([t["transitions"] for t in tables["transitions"]] + [1])
    default = _opening_level(levels)
    maps = [_map_level(definition, level, f"map-{n}", touchpoints, widest, total, level is default)
            for n, level in enumerate(levels)]
    body = "\n".join([
        _header(definition, summary),
        _section("headline", "In short", _headline(definition, tables)),
        _section("journey-grid", "The journey, stage by stage", _grid(definition, tables, fewer_exits)),
        _section("what-changed", "What changed", _what_changed(tables["alerts"], definition)),
        _map_section(levels, maps, default, total, definition, tables["variants"]),
        _section("stage-funnel", "Stages: reached and dropped", _populations(tables, definition, drawn)),
        _section("feelings", "Feelings along the journey", _feelings(tables["feelings"])),
        _section("touchpoints", "Touchpoints", _table("touchpoint_kpis", tables["touchpoint_kpis"], [
            ("touchpoint", "touchpoint", _text), ("stage", "stage", _text), ("events", "events", _count),
            ("journeys", "journeys", _count), ("exits", "exits", _count), ("exit_rate", "exit rate", _percent),
            ("mean_score", "mean score", _score)])),
        _section("variants", "Top variants", _variants(tables["variants"], variants)),
        _section("attribution", "What carries the conversions: the customer twin",
                 _attribution(tables["attribution"], tables["twin_stages"])),
        _section("conformance", "Conformance to the assumed journey",
                 _table("conformance", tables["conformance"], [
                     ("journeys", "journeys", _count), ("conforming_journeys", "conforming", _count),
                     ("conformance_rate", "conformance rate", _percent), ("fitness", "fitness", _ratio),
                     ("precision", "precision", _ratio)])
                 + (f'<p class="note">{html.escape(summary["model"]["note"])}</p>'
                    if summary.get("model", {}).get("note") else "")),
        _section("deviations", "Deviations", _deviations(tables["deviations"])),
        _section("funnels", "Funnels", _funnels(tables["funnels"], definition)),
        _section("run-summary", "The run", _run_summary(summary)),
    ])
    return _document(f"Journey map: {definition.name}", body)


def _document(title: str, body: str) -> str:
    """One self-contained page: its style and script inline."""
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
            f"<script>{SCRIPT}</script>\n</body>\n</html>\n")


def write_comparison(con: duckdb.DuckDBPyConnection, definition: Definition, grouping: str, sides: tuple[str, str],
                     compared: list[dict], path: Path) -> Path:
    """comparison.html: the maps of both groups of `grouping` (previous, current) side by side, each
    difference of `compared` (comparisons.compare's rows) marked on its transition, and on a touchpoint
    whose exits (its transition into (end)) changed; then the differences (comparison.csv's first rows)."""
    drawn = drawn_populations(con, definition, grouping)
    differences = [row for row in compared if row["kind"] is not None]
    changes = {tuple(row["item"].split(PATH_JOIN)): row["kind"] for row in differences
               if row["item_kind"] == "transition"}
    maps = "".join(
        f'<div class="side"><h3>{html.escape(title)}: {_count((drawn.get(group) or {}).get("journeys", 0))} journeys'
        f'</h3><div class="map fit">{_population_map(definition, drawn.get(group), f"side-{group}", changes)}</div>'
        "</div>" for group, title in enumerate(sides))
    legend = "".join(f'<span class="swatch" style="background:{colour}"></span>{kind} '
                     for kind, colour in CHANGE_COLOURS.items())
    table = _table("comparison", differences, [
        ("kind", "change", _text), ("item_kind", "what", _text), ("item", "item", _text),
        ("previous_x", "x before", _count), ("previous_n", "n before", _count), ("previous_share", "before", _percent),
        ("current_x", "x now", _count), ("current_n", "n now", _count), ("current_share", "now", _percent),
        ("change", "change", _points), ("q_value", "q", _ratio)]) if differences else \
        '<p class="empty">No difference: no item changed by at least 0.5 percentage points with q under 0.05.</p>'
    body = "\n".join([
        f"<header><h1>{html.escape(definition.name)}: {html.escape(sides[1])} against {html.escape(sides[0])}</h1>"
        f'<p>{len(differences):,} differences among {len(compared):,} items compared; all items are in '
        "comparison.csv.</p></header>",
        _section("maps", "The two maps", f'<div class="legend">marked: {legend}· transitions taken by at least '
                 f"{_percent(DEFAULT_LEVEL, 0)} of each side's journeys</div>" f'<div class="sides">{maps}</div>'),
        _section("differences", "Differences, the surest first", table)])
    path.write_text(_document(f"Comparison: {definition.name}", body), encoding="utf-8")
    return path


def _map_level(definition: Definition, level: MapLevel, key: str, touchpoints: dict[str, dict], widest: int,
               total: int, selected: bool) -> str:
    svg = _with_data(_layout(_dot(definition, level, key, touchpoints, widest)), key, definition, level, touchpoints)
    attributes = {"class": "map-level", "id": key, "data-share": repr(level.share),
                  "data-minimum-journeys": level.minimum_journeys, "data-hidden-edges": level.hidden_edges,
                  "data-hidden-touchpoints": len(level.hidden_touchpoints),
                  "data-covered-journeys": level.covered_journeys,
                  "data-coverage": repr(level.covered_journeys / total) if total else ""}
    hidden = "" if selected else " hidden"
    return f"<div{_attributes(attributes)}{hidden}>{svg}</div>"


def _map_section(levels: list[MapLevel], maps: list[str], default: MapLevel | None, total: int,
                 definition: Definition, variants: list[dict]) -> str:
    if not levels:
        return _section("map", "The journey map", '<p class="empty">No journeys were mined.</p>')
    options = "".join(
        f'<option value="map-{n}"{" selected" if level is default else ""}>'
        + ("all transitions" if level.minimum_journeys <= 1 else
           f"taken by ≥ {_percent(level.share, 1)} of journeys (≥ {level.minimum_journeys:,})") + "</option>"
        for n, level in enumerate(levels))
    index = {t.name: i for i, t in enumerate(definition.touchpoints)}
    paths = "".join(
        f'<option value="{n}"{_attributes({"data-path": json.dumps([index[name] for name in row["path"].split(PATH_JOIN)])})}>'
        f'#{row["rank"]}: {html.escape(row["path"])} ({_percent(row["share"])})</option>'
        for n, row in enumerate(variants[:HIGHLIGHTED_VARIANTS]) if row["path"])
    legend = "".join(f'<span class="swatch" style="background:{colour}"></span>{kind} '
                     for kind, colour in KIND_COLOURS.items())
    controls = (f'<div class="controls"><label>Show transitions <select id="rare-threshold">{options}</select>'
                f'</label> <label>Highlight a path <select id="variant-path"><option value="">none</option>{paths}'
                f'</select></label> <button type="button" id="fit-map">actual size</button></div>'
                f'<p class="coverage">Whole paths shown: <output id="coverage"></output> of {total:,} journeys '
                f'(<output id="covered-journeys"></output>); not drawn: <output id="hidden-edges"></output> rare '
                f'transitions and <output id="hidden-touchpoints"></output> touchpoints (a touchpoint\'s tooltip '
                "gives its steps on them). Each touchpoint says the share of its journeys that leave there "
                "(↘).</p>"
                f'<div class="legend">edges: {legend}· width by transitions · touchpoints: exit rate '
                f'<span class="scale"></span> 0–100 %</div>')
    return _section("map", "The journey map", controls + '<div class="map fit">' + "".join(maps) + "</div>")


def _figure(csv_table: str, row: int, column: str, value, text: str) -> str:
    """A figure in running text that names the CSV cell it is (as table cells do)."""
    data = {"data-csv": f"{csv_table}.csv", "data-row": row, "data-column": column, "data-value": value}
    return f'<span class="figure-ref"{_attributes(data)}>{text}</span>'


def _headline(definition: Definition, tables: dict[str, list[dict]]) -> str:
    """Four findings a reader asks first, each a sentence made from the tables: the biggest leak, the most
    common path, the conformance rate and the steepest fall of feelings."""
    stages, touchpoints = tables["stage_kpis"], tables["touchpoint_kpis"]
    findings = []
    leak = max(range(len(stages)), key=lambda i: (stages[i]["journeys_dropped"], -i), default=None)
    if leak is None or not stages[leak]["journeys_dropped"]:
        findings.append(("leak", "No journey ends before the goal."))
    else:
        stage = stages[leak]
        in_stage = [i for i, row in enumerate(touchpoints) if row["stage"] == stage["stage"]]
        worst = max(in_stage, key=lambda i: (touchpoints[i]["exits"], -i))
        where = touchpoints[worst]
        findings.append(("leak", (
            f"The biggest leak is {html.escape(stage['stage'])}: "
            f"{_figure('stage_kpis', leak, 'journeys_dropped', stage['journeys_dropped'], _count(stage['journeys_dropped']))} "
            f"of the {_figure('stage_kpis', leak, 'journeys_reached', stage['journeys_reached'], _count(stage['journeys_reached']))} "
            f"journeys that reach it end there "
            f"({_figure('stage_kpis', leak, 'drop_off_rate', stage['drop_off_rate'], _percent(stage['drop_off_rate']))}), "
            f"most of them after {html.escape(where['touchpoint'])} "
            f"({_figure('touchpoint_kpis', worst, 'exits', where['exits'], _count(where['exits']))} leave there, "
            f"{_figure('touchpoint_kpis', worst, 'exit_rate', where['exit_rate'], _percent(where['exit_rate']))} "
            "of its journeys).")))
    if tables["variants"]:
        top = tables["variants"][0]
        findings.append(("path", (
            f"The most common path is {html.escape(top['path']) or '(no step)'}: "
            f"{_figure('variants', 0, 'share', top['share'], _percent(top['share']))} of journeys "
            f"({_figure('variants', 0, 'journeys', top['journeys'], _count(top['journeys']))}).")))
    if tables["conformance"] and tables["conformance"][0]["journeys"]:
        row = tables["conformance"][0]
        findings.append(("conformance", (
            f"{_figure('conformance', 0, 'conformance_rate', row['conformance_rate'], _percent(row['conformance_rate']))} "
            f"of journeys ({_figure('conformance', 0, 'conforming_journeys', row['conforming_journeys'], _count(row['conforming_journeys']))} "
            f"of {_figure('conformance', 0, 'journeys', row['journeys'], _count(row['journeys']))}) follow the assumed "
            "journey.")))
    scored = [(i, row) for i, row in enumerate(tables["feelings"]) if row["touchpoint"] is None
              and row["mean_score"] is not None]
    falls = [(before[1]["mean_score"] - after[1]["mean_score"], before, after) for before, after in zip(scored, scored[1:])]
    fall = max(falls, key=lambda found: found[0], default=None)
    if not scored:
        findings.append(("feelings", "No survey scores among the touchpoints: no feelings to follow."))
    elif fall is None or fall[0] <= 0:
        findings.append(("feelings", "Feelings never fall from one stage to the next."))
    else:
        _, (first, before), (second, after) = fall
        findings.append(("feelings", (
            f"Feelings fall most from {html.escape(before['stage'])} "
            f"({_figure('feelings', first, 'mean_score', before['mean_score'], _score(before['mean_score']))}) to "
            f"{html.escape(after['stage'])} "
            f"({_figure('feelings', second, 'mean_score', after['mean_score'], _score(after['mean_score']))}).")))
    return '<ul class="findings">' + "".join(f'<li data-finding="{key}">{text}</li>' for key, text in findings) + "</ul>"


def _grid(definition: Definition, tables: dict[str, list[dict]], fewer_exits: tuple[float, dict[str, float]]) -> str:
    """The journey grid: a column per stage in the assumed order; rows for reach and drop-off, the
    touchpoints, the median time to reach, the feelings, the pain points and the opportunities. Every figure
    names its CSV cell and links to the section of its table."""
    stages, touchpoints, deviations = tables["stage_kpis"], tables["touchpoint_kpis"], tables["deviations"]
    stage_of = {t.name: t.stage for t in definition.touchpoints}
    goals = {t.name for t in definition.touchpoints if t.goal}
    baseline, fewer_exits = fewer_exits
    widest = max([row["journeys_reached"] for row in stages] + [1])

    def column(builder) -> str:
        return "".join(f'<div class="cell">{builder(i, row)}</div>' for i, row in enumerate(stages))

    def reach(i: int, row: dict) -> str:
        return (f'<a href="#stage-funnel" class="reach"><span class="bar" style="width:'
                f'{100 * row["journeys_reached"] / widest:.1f}%"></span></a>'
                f'{_figure("stage_kpis", i, "journeys_reached", row["journeys_reached"], _count(row["journeys_reached"]))} '
                f'reached · {_figure("stage_kpis", i, "drop_off_rate", row["drop_off_rate"], _percent(row["drop_off_rate"]))} '
                "drop off")

    def members(i: int, row: dict) -> str:
        listed = sorted((n for n, t in enumerate(touchpoints) if t["stage"] == row["stage"]),
                        key=lambda n: -touchpoints[n]["journeys"])
        return "<ul>" + "".join(
            f'<li><a href="#touchpoints">{html.escape(touchpoints[n]["touchpoint"])}</a> '
            f'{_figure("touchpoint_kpis", n, "journeys", touchpoints[n]["journeys"], _count(touchpoints[n]["journeys"]))}'
            + (" · goal" if touchpoints[n]["touchpoint"] in goals else "" if touchpoints[n]["exit_rate"] is None else
               f' · ↘ {_figure("touchpoint_kpis", n, "exit_rate", touchpoints[n]["exit_rate"], _percent(touchpoints[n]["exit_rate"]))}')
            + "</li>" for n in listed) + "</ul>"

    def time_to_reach(i: int, row: dict) -> str:
        value = row["median_s_to_reach"]
        return (f'<a href="#stage-funnel">{_figure("stage_kpis", i, "median_s_to_reach", value, _duration(value))}</a>'
                if value is not None else "")

    def pains(i: int, row: dict) -> str:
        found = []
        exits = [n for n, t in enumerate(touchpoints) if t["stage"] == row["stage"] and t["exits"]]
        if exits:
            n = max(exits, key=lambda n: (touchpoints[n]["exits"], -n))
            found.append(f'<li class="pain-exit"><a href="#touchpoints">↘ {html.escape(touchpoints[n]["touchpoint"])}</a>: '
                         f'{_figure("touchpoint_kpis", n, "exits", touchpoints[n]["exits"], _count(touchpoints[n]["exits"]))} '
                         "leave</li>")
        for kind, sign, words in (("backward", "↩", "go back"), ("skip", "⤳", "skip a stage")):
            of_stage = [n for n, d in enumerate(deviations) if d["kind"] == kind and stage_of.get(d["source"]) == row["stage"]]
            if of_stage:
                n = max(of_stage, key=lambda n: (deviations[n]["journeys"], -n))
                found.append(f'<li class="pain-{kind}"><a href="#deviations">{sign} {html.escape(deviations[n]["source"])} → '
                             f'{html.escape(deviations[n]["target"])}</a>: '
                             f'{_figure("deviations", n, "journeys", deviations[n]["journeys"], _count(deviations[n]["journeys"]))} '
                             f"journey{'s' if deviations[n]['journeys'] != 1 else ''} {words}</li>")
        return "<ul>" + "".join(found) + "</ul>" if found else ""

    def chances(i: int, row: dict) -> str:
        found = []
        for n, effect in _opportunities(definition, tables["attribution"], row["stage"]):
            line = (f'<li><a href="#attribution">{html.escape(effect["touchpoint"])}</a> carries '
                    f'{_figure("attribution", n, "removal_effect", effect["removal_effect"], _percent(effect["removal_effect"]))} '
                    "of conversions")
            if effect["touchpoint"] in fewer_exits:
                predicted = fewer_exits[effect["touchpoint"]]
                line += (f'; {FEWER_EXITS_PERCENT} % fewer exits there: conversion {_percent(baseline, 2)} → '
                         f'<span class="whatif"{_attributes({"data-touchpoint": effect["touchpoint"], "data-value": predicted})}>'
                         f"{_percent(predicted, 2)}</span>")
            found.append(line + "</li>")
        return "<ul>" + "".join(found) + "</ul>" if found else ""

    count = len(stages)
    heads = "".join(f'<div class="head">{html.escape(row["stage"])}</div>' for row in stages)
    rows = [("Reach and drop-off", column(reach)), ("Touchpoints: journeys, ↘ exit", column(members)),
            ("Median time to reach", column(time_to_reach)),
            ("Feelings", f'<div class="cell feelings-row" style="grid-column: span {count}">{_grid_feelings(tables["feelings"], count)}</div>'),
            ("Pain points", column(pains)), ("Opportunities (the twin)", column(chances))]
    return (f'<div class="journey-grid" style="grid-template-columns: 150px repeat({count}, minmax(0, 1fr))">'
            f'<div class="head"></div>{heads}'
            + "".join(f'<div class="row-name">{name}</div>{cells}' for name, cells in rows) + "</div>")


def _opportunities(definition: Definition, attribution: list[dict], stage: str) -> list[tuple[int, dict]]:
    """The rows of attribution.csv (number, row) the grid shows as a stage's opportunities: its OPPORTUNITIES
    touchpoints of highest removal effect."""
    of_stage = [(n, row) for n, row in enumerate(attribution) if row["stage"] == stage and row["removal_effect"] is not None]
    return sorted(of_stage, key=lambda found: (-found[1]["removal_effect"], found[0]))[:OPPORTUNITIES]


def _fewer_exits(con: duckdb.DuckDBPyConnection, definition: Definition,
                 attribution: list[dict]) -> tuple[float, dict[str, float]]:
    """The twin's P(conv), and per touchpoint the grid shows as an opportunity its P(conv) with FEWER_EXITS_PERCENT
    fewer exits there."""
    shown = [row["touchpoint"] for stage in definition.stages for _, row in _opportunities(definition, attribution, stage.name)]
    if not shown:
        return math.nan, {}
    index = {t.name: i for i, t in enumerate(definition.touchpoints)}
    baseline, predicted = twin.fewer_exits(definition, twin.stored_paths(con, definition),
                                           [index[name] for name in shown], FEWER_EXITS_PERCENT)
    return baseline, {name: float(value) for name, value in zip(shown, predicted)}


def _grid_feelings(feelings: list[dict], stages: int) -> str:
    """The feelings row: each stage's mean score (-1 to 1) as a dot under its column joined by a line, and its
    touchpoints' mean scores as small dots beside it."""
    if not any(row["scored_events"] for row in feelings):
        return '<span class="empty">No scored events (surveys) among the touchpoints.</span>'

    def place(row: dict) -> tuple[float, float]:
        return 100 * (row["stage_order"] + 0.5) / stages, 100 * (1 - row["mean_score"]) / 2

    scored = [(i, row) for i, row in enumerate(feelings) if row["mean_score"] is not None]
    line = " ".join("{:.2f},{:.2f}".format(*place(row)) for _, row in scored if row["touchpoint"] is None)
    dots = []
    for i, row in scored:
        x, y = place(row)
        data = {"data-csv": "feelings.csv", "data-row": i, "data-column": "mean_score", "data-value": row["mean_score"],
                "title": f"{row['touchpoint'] or row['stage']}: {_score(row['mean_score'])}"}
        stage = row["touchpoint"] is None  # a stage's score is written beside its dot
        score = f"<span>{_score(row['mean_score'])}</span>" if stage else ""
        dots.append(f'<a href="#feelings" class="{"stage-dot" if stage else "touchpoint-dot"}" '
                    f'style="left:{x:.2f}%;top:{y:.2f}%"{_attributes(data)}>{score}</a>')
    return (f'<div class="feelings-plot"><svg viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true">'
            f'<line x1="0" x2="100" y1="50" y2="50" class="axis"/><polyline points="{line}" class="curve"/></svg>'
            f'{"".join(dots)}<span class="scale-top">+1</span><span class="scale-bottom">−1</span></div>')


def _header(definition: Definition, summary: dict) -> str:
    period = summary.get("period") or {}
    since, until = period.get("since") or "the first event", period.get("until") or "the last event"
    figures = [("journeys", summary["journeys"]), ("persons", summary["persons"]),
               ("converted", summary["converted"])]
    cells = "".join(f'<div class="figure"><span{_attributes({"data-key": key, "data-value": value})}>'
                    f"{_count(value)}</span>{key}</div>" for key, value in figures)
    return (f"<header><h1>{html.escape(definition.name)}: the observed journey</h1>"
            f"<p>Journeys from {html.escape(str(since))} to {html.escape(str(until))}, mined from "
            f"{html.escape(Path(summary.get('definition_file', '')).name)}; stages in the assumed order.</p>"
            f'<div class="figures">{cells}</div>'
            + "".join(f'<p class="warning">{html.escape(warning)}</p>' for warning in summary.get("warnings", []))
            + "</header>")


def _stage_funnel(stages: list[dict], csv_table: str = "stage_kpis", rows: list[int] | None = None) -> str:
    """Bars of the journeys that reached and dropped at each stage, and the table (`rows` of `csv_table`)."""
    widest = max([row["journeys_reached"] for row in stages] + [1])
    bars = "".join(
        f'<div class="bar-row"><span class="bar-label">{html.escape(row["stage"])}</span>'
        f'<span class="bar" style="width:{100 * row["journeys_reached"] / widest:.1f}%"></span>'
        f'<span class="bar-value">{_count(row["journeys_reached"])} reached, '
        f'{_count(row["journeys_dropped"])} dropped</span></div>' for row in stages)
    columns = [("stage", "stage", _text), ("journeys_reached", "journeys reached", _count),
               ("journeys_dropped", "journeys dropped", _count), ("drop_off_rate", "drop-off rate", _percent)]
    if csv_table == "stage_kpis":
        columns.append(("median_s_to_reach", "median time to reach", _duration))
    return f'<div class="bars">{bars}</div>' + _table(csv_table, stages, columns, rows=rows)


def _populations(tables: dict[str, list[dict]], definition: Definition, drawn: dict[object, dict]) -> str:
    """The stage funnel of all journeys and, behind a picker, of each segment value (the SEGMENT_VALUES with
    the most journeys of each segment; a persona by its name too), with the value's journeys and conversion
    (segments.csv, segment_stage_kpis.csv) and its map."""
    segments, stages = tables["segments"], tables["segment_stage_kpis"]
    if not segments:
        return _stage_funnel(tables["stage_kpis"])
    names = {str(row["persona"]): row["name"] for row in tables["personas"]}
    by_persona = {s.name for s in definition.segments if s.field == PERSONA}
    options, blocks = ['<option value="">all journeys (the map above)</option>'], [
        f'<div class="population" data-population="">{_stage_funnel(tables["stage_kpis"])}</div>']
    for n, (number, row) in enumerate(_shown_values(segments)):
        segment, value = row["segment"], row["value"]
        key = f"{segment}={value}"
        label = f"{segment} = {value}" + (f": {names[value]}" if segment in by_persona and value in names else "")
        options.append(f'<option value="{html.escape(key)}">{html.escape(label)}</option>')
        of_value = [(index, stage) for index, stage in enumerate(stages)
                    if stage["segment"] == segment and stage["value"] == value]
        blocks.append(
            f'<div class="population"{_attributes({"data-population": key})} hidden>'
            + _table("segments", [row], [
                ("segment", "segment", _text), ("value", "value", _text), ("journeys", "journeys", _count),
                ("share", "share", _percent), ("converted", "converted", _count),
                ("conversion_rate", "conversion rate", _percent)], rows=[number])
            + _stage_funnel([stage for _, stage in of_value], "segment_stage_kpis", [index for index, _ in of_value])
            + '<div class="map fit">' + _population_map(definition, drawn.get(key), f"population-{n}") + "</div>"
            + _removal_effects(definition, (drawn.get(key) or {}).get("removal_effects"))
            + "</div>")
    note = (f'<p class="note">A segment value\'s journeys are those whose first step has it (segments in the '
            f"definition); personas are groups of persons who behave alike. Up to {SEGMENT_VALUES} values a "
            "segment, the most journeys first, each with its map (transitions taken by at least "
            f"{_percent(DEFAULT_LEVEL, 0)} of its journeys): all values are in segments.csv and "
            "segment_stage_kpis.csv.</p>")
    picker = f'<div class="controls"><label>Journeys of <select id="population">{"".join(options)}</select></label></div>'
    return picker + note + "".join(blocks) + _personas(tables["personas"])


def _removal_effects(definition: Definition, effects: np.ndarray | None) -> str:
    """A population's strongest touchpoints by the twin's removal effect (fitted on its journeys alone)."""
    if effects is None or not np.isfinite(effects).any():
        return ""
    order = [i for i in np.argsort(-np.nan_to_num(effects, nan=-1), kind="stable") if np.isfinite(effects[i])]
    rows = "".join(f'<tr><td>{html.escape(definition.touchpoints[i].name)}</td><td{NUMBER}'
                   f'{_attributes({"data-removal-effect": float(effects[i])})}>{_percent(float(effects[i]))}</td></tr>'
                   for i in order[:TOP_REMOVAL_EFFECTS])
    return (f"<h3>What carries its conversions</h3><p class=\"note\">The twin fitted on these journeys alone: the "
            "share of their conversions lost without the touchpoint (removal effect).</p>"
            f'<table class="removal-effects"><thead><tr><th>touchpoint</th><th>removal effect</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _personas(personas: list[dict]) -> str:
    if not personas:
        return ""
    return "<h3>Personas</h3>" + _table("personas", personas, [
        ("persona", "persona", _count), ("name", "name", _text), ("persons", "persons", _count),
        ("share", "share", _percent), ("journeys", "journeys", _count),
        ("conversion_rate", "conversion rate", _percent), ("silhouette", "silhouette", _ratio)])


def _what_changed(alerts: list[dict], definition: Definition) -> str:
    """The structure alerts of the latest run (alerts.csv), the surest first."""
    window, horizon = definition.alerts.window_days, definition.alerts.horizon_days
    scope = (f"The journeys started in the latest {window} days against those of the {window} days before, each "
             f"read as it stood {horizon} days after its start (alerts.csv).")
    if not alerts:
        return f'<p class="note">{scope}</p><p class="empty">No change: no variant, transition, stage drop-off, ' \
               "conformance, funnel step or conversion differs.</p>"
    return f'<p class="note">{scope}</p>' + _table("alerts", alerts, [
        ("kind", "change", _text), ("item_kind", "what", _text), ("item", "item", _text),
        ("previous_share", "before", _percent), ("current_share", "now", _percent),
        ("change", "change", _points), ("current_x", "journeys now", _count), ("q_value", "q", _ratio)])


def _feelings(feelings: list[dict]) -> str:
    """A curve of the stages' mean scores (-1 to 1) with a dot per scored touchpoint, and the table."""
    if not any(row["scored_events"] for row in feelings):
        return '<p class="empty">No scored events (surveys) among this journey\'s touchpoints.</p>'
    stages = [row for row in feelings if row["touchpoint"] is None]
    width, height, pad = 640, 220, 40
    step = (width - 2 * pad) / max(len(stages) - 1, 1)

    def x(stage_order: int) -> float:
        return pad + step * stage_order

    def y(score: float) -> float:
        return pad / 2 + (1 - score) / 2 * (height - pad)

    points = [(x(row["stage_order"]), y(row["mean_score"])) for row in stages if row["mean_score"] is not None]
    marks = [f'<line x1="{pad}" x2="{width - pad}" y1="{y(0):.1f}" y2="{y(0):.1f}" class="axis"/>',
             f'<text x="4" y="{y(1) + 4:.1f}">+1</text><text x="4" y="{y(0) + 4:.1f}">0</text>'
             f'<text x="4" y="{y(-1) + 4:.1f}">−1</text>',
             f'<polyline points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in points)}" class="curve"/>']
    for row in stages:
        marks.append(f'<text x="{x(row["stage_order"]):.1f}" y="{height - 2}" text-anchor="middle">'
                     f'{html.escape(row["stage"])}</text>')
    for row in feelings:
        if row["mean_score"] is None:
            continue
        is_stage = row["touchpoint"] is None
        circle = {"cx": f"{x(row['stage_order']):.1f}", "cy": f"{y(row['mean_score']):.1f}",
                  "r": 6 if is_stage else 3.5, "class": "stage-score" if is_stage else "touchpoint-score",
                  "data-stage": row["stage"], "data-touchpoint": row["touchpoint"], "data-value": row["mean_score"]}
        marks.append(f"<circle{_attributes(circle)}>"
                     f'<title>{html.escape(row["touchpoint"] or row["stage"])}: {_score(row["mean_score"])} '
                     f'({row["scored_events"]:,} scored events)</title></circle>')
    chart = (f'<svg id="feelings-curve" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="mean score by stage">{"".join(marks)}</svg>')
    return chart + _table("feelings", feelings, [
        ("stage", "stage", _text), ("touchpoint", "touchpoint", _text), ("scored_events", "scored events", _count),
        ("mean_score", "mean score (−1 to 1)", _score)])


def _variants(shown: list[dict], variants: int) -> str:
    note = (f'<p class="note">The {len(shown):,} most common of {variants:,} variants; all are in '
            "variants.csv.</p>") if variants > len(shown) else ""
    return note + _table("variants", shown, [
        ("rank", "rank", _count), ("path", "path", _text), ("journeys", "journeys", _count),
        ("share", "share", _percent), ("converted", "converted", _count),
        ("conversion_rate", "conversion rate", _percent), ("conforms", "conforms", _yes_no)])


def _deviations(deviations: list[dict]) -> str:
    taken = [row for row in deviations if row["kind"] != "not_taken"]
    not_taken = [row for row in deviations if row["kind"] == "not_taken"]
    columns = [("source", "from", _text), ("target", "to", _text), ("kind", "kind", _text),
               ("journeys", "journeys", _count), ("share", "share of journeys", _percent)]
    shown = not_taken[:TOP_NOT_TAKEN]
    more = (f" (the first {len(shown):,}; all are in deviations.csv)" if len(not_taken) > len(shown) else "")
    return (_table("deviations", taken, columns, rows=range(len(taken)))
            + f"<details><summary>{len(not_taken):,} assumed transitions nobody took{more}</summary>"
            + _table("deviations", shown, columns, rows=range(len(taken), len(taken) + len(shown)))
            + "</details>")


def _attribution(attribution: list[dict], stages: list[dict]) -> str:
    """The twin's removal effects with their intervals beside the heuristic credits, most effect first, and
    per stage the observed reach beside the model's (attribution.csv, twin_stages.csv)."""
    if not attribution:
        return '<p class="empty">The definition has no touchpoint before its goal.</p>'
    order = sorted(range(len(attribution)), key=lambda i: -(attribution[i]["removal_effect"] or 0))
    return (
        '<p class="note">Removal effect: the share of conversions lost if every move into the touchpoint ended '
        "the journey instead, with its 95 % interval over 200 bootstrap resamples of the journeys. Beside it, "
        "the heuristic credits of the converted journeys. All in attribution.csv.</p>"
        + _table("attribution", [attribution[i] for i in order], [
            ("touchpoint", "touchpoint", _text), ("stage", "stage", _text), ("journeys", "journeys", _count),
            ("removal_effect", "removal effect", _percent), ("removal_effect_low", "low", _percent),
            ("removal_effect_high", "high", _percent), ("share", "share", _percent),
            ("attributed_conversions", "conversions", _credit), ("first_touch", "first touch", _credit),
            ("last_touch", "last touch", _credit), ("linear", "linear", _credit),
            ("position_based", "position based", _credit)], rows=order)
        + '<p class="note">How well the twin fits: a first-order chain remembers only the last touchpoint, so '
          "its reach of a stage can differ from the journeys'. The larger the gap, the less to trust a "
          "<code>journeys whatif</code>.</p>"
        + _table("twin_stages", stages, [
            ("stage", "stage", _text), ("observed_reach", "journeys that reached it", _percent),
            ("model_reach", "the twin's reach", _percent)]))


def _funnels(funnels: list[dict], definition: Definition) -> str:
    if not funnels:
        return '<p class="empty">The definition has no funnels.</p>'
    parts = []
    orders = {funnel.name: funnel.order for funnel in definition.funnels}
    for name in dict.fromkeys(row["funnel"] for row in funnels):
        rows = [(i, row) for i, row in enumerate(funnels) if row["funnel"] == name]
        first = rows[0][1]["persons"] or 1
        bars = "".join(
            f'<div class="bar-row"><span class="bar-label">{row["step"]}. {html.escape(row["step_name"])}</span>'
            f'<span class="bar" style="width:{100 * row["persons"] / first:.1f}%"></span>'
            f'<span class="bar-value">{_count(row["persons"])} persons</span></div>' for _, row in rows)
        parts.append(f"<h3>{html.escape(name)} <small>({html.escape(orders.get(name, ''))})</small></h3>"
                     f'<div class="bars">{bars}</div>' + _table("funnels", [row for _, row in rows], [
                         ("step", "step", _count), ("step_name", "step name", _text), ("persons", "persons", _count),
                         ("conversion_rate_from_start", "from start", _percent),
                         ("conversion_rate_from_previous", "from previous", _percent),
                         ("mean_s", "mean time from previous", _duration),
                         ("median_s", "median time from previous", _duration)], rows=[i for i, _ in rows]))
    return "".join(parts)


def _run_summary(summary: dict) -> str:
    figures = [("events.read", "events read", summary["events"]["read"]),
               ("events.loaded", "loaded", summary["events"]["loaded"]),
               ("events.duplicates", "duplicates", summary["events"]["duplicates"]),
               ("events.quarantined", "quarantined", summary["events"]["quarantined"]),
               ("in_scope", "in scope of the definition", summary["in_scope"]),
               ("out_of_scope", "out of scope", summary["out_of_scope"]),
               ("mapped", "mapped to a touchpoint", summary["mapped"]),
               ("unmapped", "unmapped", summary["unmapped"]),
               ("persons", "persons with a journey", summary["persons"]),
               ("journeys", "journeys", summary["journeys"]),
               ("converted", "converted", summary["converted"])]
    listed = "".join(f"<dt>{html.escape(label)}</dt><dd{_attributes({'data-key': key, 'data-value': value})}>"
                     f"{_count(value)}</dd>" for key, label, value in figures)
    oversize = summary.get("oversize_components") or []
    files = "".join(
        "<tr>" + "".join(f"<td{_attributes({'data-key': key, 'data-value': f[key]})}>{html.escape(f[key])}</td>"
                         for key in ("path", "source"))
        + "".join(f"<td{_attributes({'data-key': key, 'data-value': f[key]})}{NUMBER}>{_count(f[key])}</td>"
                  for key in ("read", "loaded", "duplicates", "quarantined")) + "</tr>"
        for f in summary["files"])
    timings = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in summary.get("timings_s", {}).items())
    versions = ", ".join(f"{name} {version}" for name, version in summary.get("versions", {}).items())
    return (f'<dl class="summary">{listed}</dl>'
            f"<p>Oversize identity components kept apart: {len(oversize):,}"
            + (f" ({', '.join(f'{n:,}' for n in oversize)} identifiers)" if oversize else "") + ".</p>"
            + '<table id="files"><thead><tr><th>file</th><th>source</th><th>read</th><th>loaded</th>'
              f"<th>duplicates</th><th>quarantined</th></tr></thead><tbody>{files}</tbody></table>"
            + f'<p class="note">Timings: {html.escape(timings)}. Versions: {html.escape(versions)}.</p>')


# --- cells --------------------------------------------------------------------------------------------

def _table(csv_table: str, records: list[dict], columns: list[tuple], *,
           rows: Iterable[int] | None = None) -> str:
    """A table of rows of `<csv_table>.csv` (their numbers in `rows`, default 0, 1, ...): each cell names
    its column and carries its exact value."""
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in columns)
    body = "".join(
        f'<tr data-row="{number}">' + "".join(
            f"<td{_attributes({'data-column': column, 'data-value': record[column]})}"
            f"{'' if format_ is _text else NUMBER}>{format_(record[column])}</td>"
            for column, _, format_ in columns) + "</tr>"
        for number, record in zip(range(len(records)) if rows is None else rows, records))
    return f'<table data-csv="{csv_table}.csv"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _section(key: str, title: str, content: str) -> str:
    return f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>'


def _attributes(values: dict) -> str:
    """HTML attributes; a value is written exactly (floats as their shortest round-trip text)."""
    return "".join(f' {name}="{html.escape(_exact(value))}"' for name, value in values.items())


def _exact(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _text(value: str | None) -> str:
    return "" if value is None else html.escape(value)


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _percent(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{100 * value:.{digits}f} %"


def _points(value: float | None) -> str:
    """A change of shares in percentage points."""
    return "" if value is None else f"{100 * value:+.1f} pp"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _credit(value: float | None) -> str:
    """Conversions credited: one decimal, none for a whole number."""
    return "" if value is None else f"{value:,.1f}".removesuffix(".0")


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}"


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _duration(seconds: float | None) -> str:
    """Seconds as a person reads them: 45.2 s, 12.5 min, 5.1 h, 3.2 d."""
    if seconds is None:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 1.5 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


STYLE = """
:root { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2733; }
body { margin: 0 auto; max-width: 1400px; padding: 16px 24px 48px; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 4px; } h2 { font-size: 1.15rem; margin: 32px 0 8px; }
h3 { font-size: 1rem; margin: 16px 0 4px; } .sides { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; } small, .note, .empty { color: #5b6670; }
.warning { background: #fff4ce; border-left: 4px solid #e08214; padding: 4px 8px; }
.figures { display: flex; gap: 24px; margin-top: 8px; }
.figure span { display: block; font-size: 1.6rem; font-weight: 600; }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin-bottom: 6px; }
.legend { font-size: 0.85rem; color: #5b6670; margin-bottom: 6px; }
.swatch { display: inline-block; width: 18px; height: 4px; margin: 0 4px 2px 8px; vertical-align: middle; }
.scale { display: inline-block; width: 80px; height: 10px; vertical-align: middle;
         background: linear-gradient(to right, #ffffff, #cb181d); border: 1px solid #d5dbe1; }
.map { border: 1px solid #d5dbe1; border-radius: 6px; overflow: auto; max-height: 85vh; }
.map.fit svg { width: 100%; height: auto; max-height: 82vh; }
.coverage { font-size: 0.85rem; color: #5b6670; margin: 2px 0 6px; }
g.edge text { paint-order: stroke; stroke: #ffffff; stroke-width: 3px; }  /* counts stay legible over lines */
.highlighting g.edge:not(.on-path), .highlighting g.node.touchpoint:not(.on-path) { opacity: 0.15; }
.highlighting g.edge.on-path path { stroke: #1d2733; }
.findings { font-size: 1.05rem; line-height: 1.5; padding-left: 20px; margin: 4px 0; }
.findings .figure-ref { font-weight: 600; }
.journey-grid { display: grid; border-top: 1px solid #d5dbe1; font-size: 0.85rem; }
.journey-grid > div { padding: 6px 8px; border-bottom: 1px solid #e6eaee; min-width: 0; overflow-wrap: anywhere; }
.journey-grid .head { font-weight: 600; background: #f4f6f8; white-space: pre-wrap; }
.journey-grid .row-name { color: #5b6670; font-weight: 600; }
.journey-grid ul { margin: 0; padding-left: 14px; } .journey-grid a { color: inherit; }
.journey-grid .reach { display: block; margin-bottom: 2px; } .journey-grid .reach .bar { height: 10px; }
.journey-grid .pain-exit, .journey-grid .pain-backward, .journey-grid .pain-skip { color: #8a1c1c; }
.feelings-plot { position: relative; height: 90px; margin: 18px 0 4px; }
.feelings-plot svg { position: absolute; inset: 0; width: 100%; height: 100%; }
.feelings-plot .axis { stroke: #d5dbe1; vector-effect: non-scaling-stroke; }
.feelings-plot .curve { fill: none; stroke: #2c7fb8; stroke-width: 2; vector-effect: non-scaling-stroke; }
.feelings-plot a { position: absolute; border-radius: 50%; transform: translate(-50%, -50%); }
.feelings-plot .stage-dot { width: 12px; height: 12px; background: #2c7fb8; text-decoration: none; }
.feelings-plot .stage-dot span { position: absolute; left: 50%; bottom: 14px; transform: translateX(-50%);
                                 white-space: nowrap; font-size: 0.75rem; color: #2c7fb8; }
.feelings-plot .touchpoint-dot { width: 7px; height: 7px; background: #e08214; margin-left: 12px; }
.feelings-plot .scale-top, .feelings-plot .scale-bottom { position: absolute; left: -4px; font-size: 0.7rem; color: #5b6670; }
.feelings-plot .scale-top { top: -6px; } .feelings-plot .scale-bottom { bottom: -6px; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 6px 0; }
th, td { padding: 3px 8px; border-bottom: 1px solid #e6eaee; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td, h1, h3, .bar-label { white-space: pre-wrap; }  /* names show their spaces as written */
.bars { max-width: 760px; }
.bar-row { display: grid; grid-template-columns: 200px 1fr 220px; gap: 8px; align-items: center; margin: 2px 0; }
.bar { display: block; height: 14px; background: #2c7fb8; border-radius: 2px; }
.bar-value { font-size: 0.85rem; font-variant-numeric: tabular-nums; }
dl.summary { display: grid; grid-template-columns: max-content max-content; gap: 2px 16px; }
dl.summary dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
#feelings-curve { max-width: 100%; height: auto; font-size: 11px; }
#feelings-curve .axis { stroke: #d5dbe1; } #feelings-curve .curve { fill: none; stroke: #2c7fb8; stroke-width: 2; }
#feelings-curve .stage-score { fill: #2c7fb8; } #feelings-curve .touchpoint-score { fill: #e08214; }
"""

# Switches the map level the control names and prints what it covers; toggles fit-to-width; highlights a
# picked variant's path; hides an edge count that would overlap another label (the count stays on the edge).
SCRIPT = """
(function () {
  var overlaps = function (a, b) {
    return a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  };
  var declutter = function (map) {
    if (!map || map.dataset.decluttered || map.offsetParent === null) { return; }
    map.dataset.decluttered = "true";
    var kept = [...map.querySelectorAll("g.node, g.cluster text")].map(function (e) {
      return e.getBoundingClientRect();  // a node whole (its box and lines), a stage by its name
    });
    var counts = [...map.querySelectorAll("g.edge")].filter(function (g) { return g.querySelector("text"); });
    counts.sort(function (a, b) { return Number(b.dataset.transitions) - Number(a.dataset.transitions); });
    counts.forEach(function (g) {
      var text = g.querySelector("text"), box = text.getBoundingClientRect();
      if (kept.some(function (other) { return overlaps(box, other); })) {
        text.style.display = "none";
      } else {
        kept.push(box);
      }
    });
  };
  var population = document.getElementById("population");
  if (population) {
    population.addEventListener("change", function () {
      document.querySelectorAll(".population").forEach(function (block) {
        block.hidden = block.dataset.population !== population.value;
        if (!block.hidden) { block.querySelectorAll(".population-map").forEach(declutter); }
      });
    });
  }
  document.querySelectorAll(".side .population-map").forEach(declutter);
  var select = document.getElementById("rare-threshold");
  if (!select) { return; }
  var variant = document.getElementById("variant-path");
  var percent = function (x) { return (100 * x).toFixed(1) + " %"; };
  var highlight = function () {
    var level = document.getElementById(select.value);
    document.querySelectorAll(".on-path").forEach(function (e) { e.classList.remove("on-path"); });
    var option = variant.selectedOptions[0];
    level.classList.toggle("highlighting", Boolean(option && option.value));
    if (!option || !option.value) { return; }
    var path = JSON.parse(option.dataset.path), pairs = new Set();
    path.forEach(function (touchpoint, n) { pairs.add((n ? path[n - 1] : -1) + ">" + touchpoint); });
    level.querySelectorAll("g.edge[data-source]").forEach(function (g) {
      if (pairs.has(g.dataset.source + ">" + g.dataset.target)) { g.classList.add("on-path"); }
    });
    level.querySelectorAll("g.node[data-touchpoint]").forEach(function (g) {
      if (path.indexOf(Number(g.dataset.touchpoint)) >= 0) { g.classList.add("on-path"); }
    });
  };
  var show = function () {
    document.querySelectorAll(".map-level").forEach(function (level) {
      level.hidden = level.id !== select.value;
    });
    var level = document.getElementById(select.value);
    declutter(level);
    var coverage = document.getElementById("coverage");
    coverage.value = percent(Number(level.dataset.coverage));
    coverage.dataset.value = level.dataset.coverage;
    document.getElementById("covered-journeys").value = Number(level.dataset.coveredJourneys).toLocaleString("en");
    document.getElementById("hidden-edges").value = level.dataset.hiddenEdges;
    document.getElementById("hidden-touchpoints").value = level.dataset.hiddenTouchpoints;
    highlight();
  };
  select.addEventListener("change", show);
  variant.addEventListener("change", highlight);
  var fit = document.getElementById("fit-map");
  fit.addEventListener("click", function () {
    var map = document.querySelector(".map");
    map.classList.toggle("fit");
    fit.textContent = map.classList.contains("fit") ? "actual size" : "fit to width";
  });
  show();
})();
"""
