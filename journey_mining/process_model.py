"""Process models: the assumed journey as a pm4py Petri net, the fitness and precision of the observed
journeys against it, and a model discovered from the observed directly-follows graph.

Fitness and precision are pm4py's token-based replay fitness and ETC precision (the tests hold them
to pm4py's on every raw trace), counted rather than replayed: the assumed net has a fixed shape, so
what pm4py's replay does on it follows from one pass over the variants' path positions with numpy.
(Replaying one trace per variant and every prefix in pm4py took 700 s on 720k variants.)

The net pm4py makes of the process tree (a sequence of loops, each round a choice of a stage's
touchpoints): a start place; per stage an entry and an exit place, every touchpoint of the stage
going from its entry to its exit; silent transitions from the start place to stage 0's entry, from
each exit back to its own entry (the stage again) and on to the next stage's entry (after the last
stage, to the end place).

Token replay (pm4py's token_replay variant) of a path on it: a step of stage s needs a token in s's
entry. pm4py fires one silent transition to bring it there, from a token in s's exit (the stage
again) or in the place before s (the previous stage's exit, or the start place); when both hold one,
from the place whose name sorts first. With neither marked, the token is missing and added.
A step so consumes and produces two tokens, or one and a missing one, which stays in the net. At the
end a token in the last stage's exit goes on to the end place; every other token remains, and an
empty end place counts one missing. So with L steps, m of them missing a token, and e = 1 when the
last stage's exit holds a token at the end: missing = remaining = m + 1 - e and consumed = produced
= 2L - m + e + 1. Which token moves on matters once several are in the net (after a missing one):
it decides whether a later step finds one.

ETC precision (pm4py's etconformance_token): over every proper prefix of every journey, the empty one
included, that replays without a missing token, the touchpoints the net enables after it and those
of them no journey took right after that same prefix (escaping). Such a prefix's stages start at 0
and each is the previous step's or the next; the net then holds one token, in its last stage's exit,
and enables that stage's touchpoints and the next stage's. precision = 1 - escaping / enabled.
"""

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from journey_mining import child_process, sql
from journey_mining.child_process import DOT_TIMEOUT_S
from journey_mining.definition import Definition

FITNESS_BUDGET_S = 120.0

# pm4py prints a licence banner on direct import and progress bars; the product reports its own
# progress, so both stay off (set before pm4py is imported)
sys._pm4py_welcome_shown = True
os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "false")


@dataclass(frozen=True)
class ModelConformance:
    fitness: float | None
    precision: float | None
    note: str | None  # why a figure is missing


def assumed_net(definition: Definition):
    """Stages in sequence; within a stage any of its touchpoints, repeatable (SPEC section 5)."""
    from pm4py.objects.conversion.process_tree import converter
    from pm4py.objects.process_tree.obj import Operator, ProcessTree

    root = ProcessTree(operator=Operator.SEQUENCE)
    for stage in definition.stages:
        loop = ProcessTree(operator=Operator.LOOP, parent=root)
        choice = ProcessTree(operator=Operator.XOR, parent=loop)
        choice.children.extend(ProcessTree(label=t.name, parent=choice) for t in stage.touchpoints)
        redo = ProcessTree(parent=loop)  # silent: go round the stage again
        loop.children.extend([choice, redo])
        root.children.append(loop)
    return converter.apply(root)


def conformance(con, definition: Definition, budget_s: float = FITNESS_BUDGET_S) -> ModelConformance:
    """Token-based replay fitness and ETC precision of the definition's journeys (its path steps)
    against the assumed net, counted as the module docstring says; both skipped with a note when
    counting them passes the time budget."""
    bits = len(definition.touchpoints).bit_length()  # touchpoint numbers run from 1
    variants = sql.arrow(con, "conformance/variant_touchpoints",
                         {"definition": definition.name, "bits": bits, "width": 64 // bits})
    if not variants.num_rows:
        return ModelConformance(None, None, "no journeys to replay")
    paths = _Paths.from_table(variants, time.monotonic() + budget_s)
    stage_of = np.array([t.stage_index for t in definition.touchpoints])
    try:
        fitness = _fitness(paths, stage_of, _moves_on_first(definition))
        precision = _precision(paths, stage_of, [len(stage.touchpoints) for stage in definition.stages])
    except _OverBudget:
        return ModelConformance(None, None, f"fitness and precision skipped: counting them took longer than "
                                            f"the time budget of {budget_s:g} s on {variants.num_rows:,} "
                                            f"variant{'' if variants.num_rows == 1 else 's'}")
    return ModelConformance(fitness, precision, None)


class _OverBudget(Exception):
    pass


@dataclass(frozen=True)
class _Paths:
    """The variants in path order: every step's touchpoint (0-based, in the definition's order) one
    path after another, where each path starts, its steps and its journeys."""
    touchpoints: np.ndarray
    starts: np.ndarray
    steps: np.ndarray
    journeys: np.ndarray
    deadline: float  # time.monotonic() past which counting stops

    @classmethod
    def from_table(cls, variants, deadline: float) -> "_Paths":
        steps = variants.column("steps").to_numpy()
        return cls(touchpoints=variants.column("path").combine_chunks().flatten().to_numpy() - 1,
                   starts=np.concatenate([[0], np.cumsum(steps)[:-1]]), steps=steps,
                   journeys=variants.column("journeys").to_numpy(), deadline=deadline)

    def positions(self):
        """Per position in a path, from the first: the variants whose paths reach it (in path order)
        and their touchpoints there."""
        reaching = np.arange(len(self.steps))
        for position in range(int(self.steps.max())):
            if time.monotonic() >= self.deadline:
                raise _OverBudget
            reaching = reaching[self.steps[reaching] > position]
            yield position, reaching, self.touchpoints[self.starts[reaching] + position]


def _moves_on_first(definition: Definition) -> np.ndarray:
    """Per stage: whether pm4py's replay, needing a token in the stage's entry while both the place
    before the stage and the stage's exit hold one, moves on the one before rather than go round the
    stage again. It takes the place whose name sorts first (token_replay's
    get_hidden_transitions_to_enable), names pm4py's conversion numbers: stage 0 goes round first
    (its exit "p_7" sorts before "source"), stage 1 too ("p_11" before stage 0's "p_7"), the stages
    after it move on first ("p_11" before "p_15", ...) until the numbers grow a digit."""
    net, _, _ = assumed_net(definition)
    moves_on_first = []
    for stage in definition.stages:
        (touchpoint,) = [t for t in net.transitions if t.label == stage.touchpoints[0].name]
        (entry,) = [arc.source for arc in touchpoint.in_arcs]
        (exit_,) = [arc.target for arc in touchpoint.out_arcs]
        (before,) = [arc.source for silent in entry.in_arcs for arc in silent.source.in_arcs if arc.source != exit_]
        moves_on_first.append(before.name < exit_.name)
    return np.array(moves_on_first)


def _fitness(paths: _Paths, stage_of: np.ndarray, moves_on_first: np.ndarray) -> float:
    """pm4py's log fitness 0.5 (1 - missing / consumed) + 0.5 (1 - remaining / produced) over every
    journey, each variant's tokens played once for all its journeys (the module docstring says how)."""
    stages = len(moves_on_first)
    # tokens[v, 0]: the start place; tokens[v, s + 1]: stage s's exit (the entries are empty between steps)
    tokens = np.zeros((len(paths.steps), stages + 1), np.int64)
    tokens[:, 0] = 1
    missing_steps = np.zeros(len(paths.steps), np.int64)
    for _, variants, touchpoints in paths.positions():
        stage = stage_of[touchpoints]
        before, again = tokens[variants, stage], tokens[variants, stage + 1]
        moves_on = (before > 0) & (moves_on_first[stage] | (again == 0))
        missing = (before == 0) & (again == 0)
        tokens[variants, stage] = before - moves_on
        tokens[variants, stage + 1] = again + (moves_on | missing)
        missing_steps[variants] += missing
    ends = tokens[:, stages] > 0
    missing = remaining = int((missing_steps + 1 - ends) @ paths.journeys)
    consumed = produced = int((2 * paths.steps - missing_steps + ends + 1) @ paths.journeys)
    return 0.5 * (1 - missing / consumed) + 0.5 * (1 - remaining / produced)


def _precision(paths: _Paths, stage_of: np.ndarray, stage_sizes: list[int]) -> float:
    """pm4py's ETC precision over every journey (the module docstring says which prefixes count).

    In path order the variants sharing a prefix are next to each other, so at each position a
    distinct prefix is a run of variants, and a touchpoint taken after it is new where it differs
    from the previous variant's."""
    count = len(paths.steps)
    sizes = np.array([0, *stage_sizes, 0])
    enabled_after = sizes[:-1] + sizes[1:]  # [s + 1]: after a prefix ending in stage s (-1: the empty prefix)
    last_stage = np.full(count, -1)
    fits = np.ones(count, bool)  # the prefix so far replays without a missing token
    same_prefix = np.arange(count) > 0  # the prefix so far is the previous variant's
    previous_steps = np.concatenate([[0], paths.steps[:-1]])
    enabled_total = escaping_total = 0
    for position, variants, touchpoints in paths.positions():
        stage, last = stage_of[touchpoints], last_stage[variants]
        shared = same_prefix[variants] & (previous_steps[variants] > position)  # and the previous variant goes on
        previous = paths.touchpoints[np.where(shared, paths.starts[variants - 1] + position, 0)]
        first_taken = ~(shared & (previous == touchpoints))
        enabled = (stage == last) | (stage == last + 1)
        prefixes = np.flatnonzero(~shared)
        taken = np.add.reduceat((first_taken & enabled).astype(np.int64), prefixes)
        weight = paths.journeys[variants] * fits[variants]
        enabled_here = enabled_after[last + 1]
        enabled_total += int(weight @ enabled_here)
        escaping_total += int(weight @ (enabled_here - taken[np.cumsum(~shared) - 1]))
        same_prefix[variants] = ~first_taken
        fits[variants] &= enabled
        last_stage[variants] = stage
    return 1 - escaping_total / enabled_total


def write_discovered_model(edges: list[tuple[str, str, int]], folder: Path) -> list[Path]:
    """Inductive miner on the directly-follows graph ((start)/(end) edges give start and end
    touchpoints), written as PNML and BPMN beside the CSV files."""
    import pm4py
    from pm4py.objects.dfg.obj import DFG

    graph = {(s, t): n for s, t, n in edges if s != "(start)" and t != "(end)"}
    starts = {t: n for s, t, n in edges if s == "(start)"}
    ends = {s: n for s, t, n in edges if t == "(end)"}
    if not starts:
        return []
    # multi_processing off even when PM4PY_ENABLE_MULTIPROCESSING_DEFAULT says otherwise: pm4py's pool would be
    # children with no time budget that can outlive the run
    net, initial, final = pm4py.discover_petri_net_inductive(DFG(graph, starts, ends), multi_processing=False)
    pnml, bpmn = folder / "discovered_model.pnml", folder / "discovered_model.bpmn"
    pm4py.write_pnml(net, initial, final, str(pnml))
    model = pm4py.convert_to_bpmn(net, initial, final)
    _lay_out(model)
    pm4py.write_bpmn(model, str(bpmn), auto_layout=False)
    return [pnml, bpmn]


def _lay_out(model) -> None:
    """The BPMN diagram: every node's box and every flow's waypoints, as Graphviz's dot lays the model out
    left to right, within a time budget (pm4py's own layouter runs dot with none). Nodes have the sizes BPMN
    editors (bpmn.io) draw: a task 100 by 80, an event 36 across, a gateway 50; dot ends each flow on the
    shape drawn there (a rectangle, a circle, a diamond). The names stay out of the DOT text, so none can
    break it."""
    from pm4py.objects.bpmn.obj import BPMN
    from pm4py.objects.bpmn.util.sorting import get_sorted_nodes_edges

    nodes, _ = get_sorted_nodes_edges(model)  # an order that depends on the model, not on the run
    shapes = [("box", 100, 80) if isinstance(node, BPMN.Task) else ("circle", 36, 36)
              if isinstance(node, BPMN.Event) else ("diamond", 50, 50) for node in nodes]
    number = {node: n for n, node in enumerate(nodes)}
    flows = {}  # (source, target) numbers -> their flows
    for flow in model.get_flows():
        flows.setdefault((number[flow.get_source()], number[flow.get_target()]), []).append(flow)
    graph = json.loads(child_process.dot("\n".join([
        'digraph { rankdir=LR; splines=polyline; node [fixedsize=true, label=""]; edge [arrowhead=none];',
        *(f"n{n} [shape={shape}, width={width / 72}, height={height / 72}];"  # inches
          for n, (shape, width, height) in enumerate(shapes)),
        *(f"n{source} -> n{target};" for (source, target), pair in sorted(flows.items()) for _ in pair),
        "}"]), "json", "lay out the discovered process model", DOT_TIMEOUT_S))
    # dot's points are 1/72 inch from the bottom left, BPMN's pixels from the top left: the same unit
    top = float(graph["bb"].split(",")[3])
    numbers = [int(placed["name"][1:]) for placed in graph["objects"]]  # by dot's index of the node
    layout = model.get_layout()
    for n, placed in zip(numbers, graph["objects"]):
        (_, width, height), (x, y) = shapes[n], _point(placed["pos"])
        box = layout.get(nodes[n])
        box.set_x(round(x - width / 2, 2))
        box.set_y(round(top - y - height / 2, 2))
        box.set_width(width)
        box.set_height(height)
    for edge in graph["edges"]:
        flow = layout.get(flows[numbers[edge["tail"]], numbers[edge["head"]]].pop())
        flow.del_waypoints()
        # a polyline is straight Bézier segments: every third point is a corner
        for x, y in map(_point, edge["pos"].split()[::3]):
            flow.add_waypoint((x, round(top - y, 2)))


def _point(text: str) -> tuple[float, float]:
    """A point of dot's output: "x,y"."""
    x, y = text.split(",")
    return float(x), float(y)
