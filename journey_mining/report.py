"""report.html: the journey map of one mined definition, one self-contained file (SPEC section 6).

The map puts the observed paths into the assumed journey: stages as columns in their assumed order,
touchpoints inside them coloured by exit rate, transitions as edges as wide as their count and
coloured by conformance kind. Graphviz's `dot` lays it out. A control hides rare edges: each level
shows the edges taken by at least a share of the journeys; what a level hides goes through an
explicit "other" node, so every touchpoint's steps in still equal its steps out, and the level prints
the share of journeys whose whole path it shows. Beside the map: the stage funnel, the feelings
curve, the top variants, the deviations, the funnels and the run summary.

Every figure is read from the same queries the CSV files are written from; each cell carries the
exact value in `data-value` (and the CSV row it comes from), so a browser test can compare them.
"""

import html
import json
import math
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
START, END, OTHER = "(start)", "(end)", "other"
# Levels of the rare-edge control: an edge is shown when at least this share of journeys took it.
LEVELS = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1)
DEFAULT_LEVEL = 0.01
MAX_MAP_EDGES = 400  # a level showing more edges is left out: no one reads it, and it weighs megabytes
TOP_VARIANTS = 20
TOP_NOT_TAKEN = 100  # assumed transitions nobody took: the rest are in deviations.csv
TOP_REMOVAL_EFFECTS = 5  # per segment value in the picker
SEGMENT_VALUES = 10  # per segment in the population picker, the most journeys first: all are in segments.csv
KIND_COLOURS = {"expected": "#7b8794", "skip": "#e08214", "backward": "#8e44ad", "entry": "#2c7fb8",
                "other": "#b0b7bf"}
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
    page = _page(definition, summary, tables, rarest, variants, _segment_populations(con, definition, tables))
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
    con.register("shown_values", pa.table({"segment": [row["segment"] for _, row in shown],
                                           "value": [row["value"] for _, row in shown]}))
    try:
        comparisons.grouped(con, "population_journeys", {})
    finally:
        con.unregister("shown_values")
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
    kind: str  # a conformance kind, or "other" for the hidden steps routed through the "other" node


@dataclass(frozen=True)
class MapLevel:
    """What the map shows when edges taken by fewer than `minimum_journeys` journeys are hidden."""

    share: float
    minimum_journeys: int
    edges: tuple[Edge, ...]
    hidden_edges: int
    hidden_touchpoints: tuple[str, ...]
    covered_journeys: int


def map_levels(transitions: list[dict], total_journeys: int,
               rarest: Sequence[tuple[int, int]]) -> list[MapLevel]:
    """One level per distinct set of shown edges, from all edges to the fewest; levels that would
    show more than MAX_MAP_EDGES edges are left out, unless no level shows fewer.

    `rarest`: (journeys of a journey's rarest edge, journeys) pairs; a journey is covered by a level
    when its rarest edge is shown.
    """
    levels, seen = [], set()
    for share in LEVELS:
        minimum = math.ceil(share * total_journeys)
        shown = frozenset(i for i, t in enumerate(transitions) if t["journeys"] >= minimum)
        too_dense = len(shown) > MAX_MAP_EDGES and (levels or share != LEVELS[-1])  # the last level stays
        if shown in seen or (not shown and levels) or too_dense:
            continue
        seen.add(shown)
        levels.append(_level(share, minimum, transitions, shown,
                             sum(journeys for edge_journeys, journeys in rarest if edge_journeys >= minimum)))
    return levels


def _level(share: float, minimum: int, transitions: list[dict], shown: frozenset[int], covered: int) -> MapLevel:
    edges = [Edge(t["source"], t["target"], t["transitions"], t["kind"])
             for i, t in enumerate(transitions) if i in shown]
    visible = {e.source for e in edges} | {e.target for e in edges} | {START, END}
    into_other: dict[str, int] = {}
    out_of_other: dict[str, int] = {}
    for i, t in enumerate(transitions):
        if i in shown:
            continue
        if t["source"] in visible:
            into_other[t["source"]] = into_other.get(t["source"], 0) + t["transitions"]
        if t["target"] in visible:
            out_of_other[t["target"]] = out_of_other.get(t["target"], 0) + t["transitions"]
    edges += [Edge(source, OTHER, count, "other") for source, count in into_other.items()]
    edges += [Edge(OTHER, target, count, "other") for target, count in out_of_other.items()]
    touched = {t["source"] for t in transitions} | {t["target"] for t in transitions}
    return MapLevel(share, minimum, tuple(edges), len(transitions) - len(shown),
                    tuple(sorted(touched - visible)), covered)


def _dot(definition: Definition, level: MapLevel, key: str, touchpoints: dict[str, dict],
         widest: int, changes: dict[tuple[str, str], str] | None = None) -> str:
    """The DOT text of one level: a cluster per stage, left to right in the assumed order.

    Nodes are known by ids of their own (`tp<index>`, `start`, `end`, `other`), never by the names,
    and every name is written as an HTML-like label (`_label`): so any name shows as written. `changes`
    marks the transitions a comparison found different (by their change: increase, new, decrease, vanished),
    and the touchpoints whose exits (the transition into (end)) changed.
    """
    changes = changes or {}
    node = {START: "start", END: "end", OTHER: "other"}
    node.update({t.name: f"tp{index}" for index, t in enumerate(definition.touchpoints)})
    lines = [f'digraph "{key}" {{',
             f'  id="{key}"; rankdir=LR; newrank=true; nodesep=0.3; ranksep=1.4; bgcolor="transparent";',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, penwidth=1.2];',
             '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.6];',
             f'  start [id="{key}-start", class="terminal", shape=circle, label="start", fillcolor="#ffffff", '
             'fontsize=9];',
             f'  end [id="{key}-end", class="terminal", shape=doublecircle, label="end", fillcolor="#ffffff", '
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
            label = _label(touchpoint.name, f"{kpis['journeys']:,} journeys",
                           f"exit {_percent(exit_rate)}" + (" · goal" if touchpoint.goal else ""))
            change = changes.get((touchpoint.name, END))
            marked = (f', color="{CHANGE_COLOURS[change]}", penwidth=3' if change else "")
            lines.append(f'    {node[touchpoint.name]} [id="{key}-tp-{definition.touchpoints.index(touchpoint)}", '
                         f'class="touchpoint{f" change-{change}" if change else ""}", label={label}, '
                         f'fillcolor="{_exit_colour(exit_rate)}", '
                         f'fontcolor="{"#ffffff" if (exit_rate or 0) > 0.55 else "#1d2733"}"'
                         f'{", peripheries=2" if touchpoint.goal else ""}{marked}];')
        if members:  # one column per stage
            lines.append("    { rank=same; " + " ".join(node[t.name] + ";" for t in members) + " }")
        lines.append("  }")
        if members:
            anchors.append(members[0].name)
    anchors.append(END)
    if OTHER in shown:
        lines.append(f'  other [id="{key}-other", class="other", shape=box, style="dashed,rounded", '
                     f'label={_label(f"other: {level.hidden_edges:,} hidden transitions")}, fontcolor="#5b6670"];')
    for before, after in zip(anchors, anchors[1:]):  # keeps the stages in their assumed order
        lines.append(f"  {node[before]} -> {node[after]} [style=invis, weight=20];")
    for n, edge in enumerate(level.edges):
        change = changes.get((edge.source, edge.target))
        colour = CHANGE_COLOURS[change] if change else KIND_COLOURS[edge.kind]
        # Width by count; what goes through "other" is drawn thin and dashed, and like backward moves
        # it does not pull the layout (so the stages keep their order).
        style = (", style=dashed, penwidth=1, arrowsize=0.4, constraint=false" if edge.kind == "other" else
                 f", penwidth={1 + 7 * edge.transitions / widest + (3 if change else 0):.2f}"
                 + (", constraint=false" if edge.kind == "backward" else ""))
        lines.append(f'  {node[edge.source]} -> {node[edge.target]} [id="{key}-edge-{n}", '
                     f'class="transition kind-{edge.kind}{f" change-{change}" if change else ""}", '
                     f'xlabel="{edge.transitions:,}", color="{colour}", '
                     f'fontcolor="{colour}"{style}];')
    lines.append("}")
    return "\n".join(lines)


def drawn_populations(con: duckdb.DuckDBPyConnection, definition: Definition, grouping: str) -> dict[object, dict]:
    """Per group of the comparison grouping `grouping` (comparisons.GROUPINGS, made before): its journeys,
    touchpoints (journeys, exit rate) and transitions as the map draws them."""
    names = [t.name for t in definition.touchpoints]
    kinds, entries = paths.edge_kinds(definition), paths.entry_kinds(definition)
    values, fragments = {"definition": definition.name}, comparisons.groups_fragment(grouping)
    drawn: dict[object, dict] = {}
    for group, index, journeys, exits in sql.run_template(con, "comparisons/group_touchpoints", fragments, values):
        population = drawn.setdefault(group, {"journeys": 0, "touchpoints": {}, "transitions": []})
        if index is None:
            population["journeys"] = journeys
        else:
            population["touchpoints"][names[index]] = {"journeys": journeys, "exit_rate": exits / journeys}
    for group, source, target, transitions, journeys in sql.run_template(
            con, "comparisons/group_transitions", fragments, values):
        kind = paths.EXPECTED if target < 0 else entries[target] if source < 0 else kinds[source, target]
        drawn[group]["transitions"].append({
            "source": START if source < 0 else names[source], "target": END if target < 0 else names[target],
            "transitions": transitions, "journeys": journeys, "kind": paths.KINDS[kind]})
    steps = sql.arrow(con, "comparisons/compared_steps", values, fragments=fragments)
    group, key = steps.column("grp").to_numpy(zero_copy_only=False), steps.column("journey_key").to_numpy()
    touchpoint = steps.column("touchpoint_index").to_numpy().astype(np.int64)
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(key) else np.zeros(0, np.int64)
    for first, last in zip(bounds, np.r_[bounds[1:], len(key)]):  # a group's steps together, in journey order
        keys = key[first:last]
        journey = np.cumsum(np.r_[True, keys[1:] != keys[:-1]]) - 1
        model = twin.build(definition, twin.chain_paths(journey, touchpoint[first:last], definition), 0)
        drawn[group[first]]["removal_effects"] = model.figures.removal_effect
    return drawn


def _population_map(definition: Definition, population: dict | None, key: str,
                    changes: dict[tuple[str, str], str] | None = None) -> str:
    """The map of some journeys (drawn_populations) at the default level, without the level control."""
    if not population or not population["journeys"]:
        return '<p class="empty">No journeys.</p>'
    levels = map_levels(population["transitions"], population["journeys"], ())
    level = max([level for level in levels if level.share <= DEFAULT_LEVEL] or levels[-1:], key=lambda level: level.share)
    widest = max(t["transitions"] for t in population["transitions"])
    svg = _layout(_dot(definition, level, key, population["touchpoints"], widest, changes))
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
          rarest: Sequence[tuple[int, int]], variants: int, drawn: dict[object, dict]) -> str:
    """The page; `tables` hold the first TOP_VARIANTS of the `variants`."""
    total = summary["journeys"]
    touchpoints = {row["touchpoint"]: row for row in tables["touchpoint_kpis"]}
    levels = map_levels(tables["transitions"], total, rarest)
    widest = max([t["transitions"] for t in tables["transitions"]] + [1])
    default = max((level for level in levels if level.share <= DEFAULT_LEVEL), key=lambda level: level.share,
                  default=None)
    maps = [_map_level(definition, level, f"map-{n}", touchpoints, widest, total, level is default)
            for n, level in enumerate(levels)]
    body = "\n".join([
        _header(definition, summary),
        _section("what-changed", "What changed", _what_changed(tables["alerts"], definition)),
        _map_section(levels, maps, default, total),
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
    svg = _layout(_dot(definition, level, key, touchpoints, widest))
    attributes = {"class": "map-level", "id": key, "data-share": repr(level.share),
                  "data-minimum-journeys": level.minimum_journeys, "data-hidden-edges": level.hidden_edges,
                  "data-hidden-touchpoints": len(level.hidden_touchpoints),
                  "data-covered-journeys": level.covered_journeys,
                  "data-coverage": repr(level.covered_journeys / total) if total else ""}
    hidden = "" if selected else " hidden"
    return f"<div{_attributes(attributes)}{hidden}>{svg}</div>"


def _map_section(levels: list[MapLevel], maps: list[str], default: MapLevel | None, total: int) -> str:
    if not levels:
        return _section("map", "The journey map", '<p class="empty">No journeys were mined.</p>')
    options = "".join(
        f'<option value="map-{n}"{" selected" if level is default else ""}>'
        + ("all transitions" if level.minimum_journeys <= 1 else
           f"taken by ≥ {_percent(level.share, 1)} of journeys (≥ {level.minimum_journeys:,})") + "</option>"
        for n, level in enumerate(levels))
    legend = "".join(f'<span class="swatch" style="background:{colour}"></span>{kind} '
                     for kind, colour in KIND_COLOURS.items())
    controls = (f'<div class="controls"><label>Show transitions <select id="rare-threshold">{options}</select>'
                f'</label> <span>covers <output id="coverage"></output> of {total:,} journeys '
                f'(<output id="covered-journeys"></output> whole paths shown); '
                f'<output id="hidden-edges"></output> transitions and <output id="hidden-touchpoints"></output> '
                f'touchpoints hidden, through "other"</span> '
                f'<button type="button" id="fit-map">actual size</button></div>'
                f'<div class="legend">edges: {legend}· width by transitions · touchpoints: exit rate '
                f'<span class="scale"></span> 0–100 %</div>')
    return _section("map", "The journey map", controls + '<div class="map fit">' + "".join(maps) + "</div>")


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
.map { border: 1px solid #d5dbe1; border-radius: 6px; overflow: auto; max-height: 80vh; }
.map.fit svg { width: 100%; height: auto; }
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

# Switches the map level the control names and prints what it covers; toggles fit-to-width.
SCRIPT = """
(function () {
  var population = document.getElementById("population");
  if (population) {
    population.addEventListener("change", function () {
      document.querySelectorAll(".population").forEach(function (block) {
        block.hidden = block.dataset.population !== population.value;
      });
    });
  }
  var select = document.getElementById("rare-threshold");
  if (!select) { return; }
  var percent = function (x) { return (100 * x).toFixed(1) + " %"; };
  var show = function () {
    document.querySelectorAll(".map-level").forEach(function (level) {
      level.hidden = level.id !== select.value;
    });
    var level = document.getElementById(select.value);
    var coverage = document.getElementById("coverage");
    coverage.value = percent(Number(level.dataset.coverage));
    coverage.dataset.value = level.dataset.coverage;
    document.getElementById("covered-journeys").value = Number(level.dataset.coveredJourneys).toLocaleString("en");
    document.getElementById("hidden-edges").value = level.dataset.hiddenEdges;
    document.getElementById("hidden-touchpoints").value = level.dataset.hiddenTouchpoints;
  };
  select.addEventListener("change", show);
  var fit = document.getElementById("fit-map");
  fit.addEventListener("click", function () {
    var map = document.querySelector(".map");
    map.classList.toggle("fit");
    fit.textContent = map.classList.contains("fit") ? "actual size" : "fit to width";
  });
  show();
})();
"""
