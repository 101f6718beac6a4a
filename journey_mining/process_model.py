"""Process models with pm4py: the assumed journey as a Petri net, its fitness and precision against
the observed journeys, and a model discovered from the observed directly-follows graph.

pm4py works on aggregates only: one trace per variant (weighted by the variant's journeys) and the
directly-follows graph, so its cost grows with the number of distinct paths, not of events.
"""

import multiprocessing
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from journey_mining.definition import Definition

ACTIVITY, CASE, TIME = "concept:name", "case:concept:name", "time:timestamp"
FITNESS_BUDGET_S = 120.0

# pm4py prints a licence banner on direct import and progress bars while it replays; the product
# reports its own progress, so both stay off (set before pm4py is imported, here or in the child)
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


def conformance(definition: Definition, variants: list[tuple[tuple[str, ...], int]],
                budget_s: float = FITNESS_BUDGET_S) -> ModelConformance:
    """Token-based replay fitness and precision of the variants against the assumed net, in a child
    process that is stopped when it passes the time budget (pm4py cannot be interrupted otherwise)."""
    if not variants:
        return ModelConformance(None, None, "no journeys to replay")
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        pending = pool.apply_async(_replay, (definition, variants))
        try:
            fitness, precision = pending.get(timeout=budget_s)
        except multiprocessing.TimeoutError:
            pool.terminate()
            return ModelConformance(None, None, f"fitness and precision skipped: pm4py took longer than "
                                                f"the time budget of {budget_s:g} s on {len(variants)} variants")
    return ModelConformance(fitness, precision, None)


def _replay(definition: Definition, variants: list[tuple[tuple[str, ...], int]]) -> tuple[float, float]:
    """pm4py's log fitness and ETC precision, replaying one trace per distinct run of stages.

    Every touchpoint of a stage has the same input and output places in the assumed net, so token
    replay counts the same for any touchpoint of a stage; and a stage again right after itself goes
    round its loop once more: two more tokens consumed and produced, the marking as it was. So a
    trace's tokens, and the marking (hence the enabled touchpoints) after a prefix, follow from its
    stages with repeats merged, which is all that is replayed (each stage by its first touchpoint).
    The tests hold both figures to pm4py's on every raw trace.
    """
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay

    net, initial, final = assumed_net(definition)
    stage_of = {t.name: stage.touchpoints[0].name for stage in definition.stages for t in stage.touchpoints}
    runs: dict[tuple[str, ...], int] = {}
    repeats = 0  # steps in the same stage as the step before, over all journeys
    for path, journeys in variants:
        run = _stage_run(path, stage_of)
        runs[run] = runs.get(run, 0) + journeys
        repeats += (len(path) - len(run)) * journeys
    replayed = token_replay.apply(variant_log(list(runs.items())), net, initial, final,
                                  parameters={"activity_key": ACTIVITY})
    totals = {"missing_tokens": 0, "consumed_tokens": 2 * repeats, "remaining_tokens": 0,
              "produced_tokens": 2 * repeats}
    for trace_result, journeys in zip(replayed, runs.values()):
        for key in totals:
            totals[key] += trace_result[key] * journeys
    # pm4py's log fitness (replay_fitness.token_replay.evaluate), with each variant counted per journey
    fitness = 0.5 * (1 - totals["missing_tokens"] / totals["consumed_tokens"]) \
        + 0.5 * (1 - totals["remaining_tokens"] / totals["produced_tokens"])
    return fitness, _precision(net, initial, final, variants, stage_of)


def _stage_run(path: tuple[str, ...], stage_of: dict[str, str]) -> tuple[str, ...]:
    """The path's stages (each as its first touchpoint), a stage repeated in a row merged into one."""
    run = []
    for touchpoint in path:
        if not run or run[-1] != stage_of[touchpoint]:
            run.append(stage_of[touchpoint])
    return tuple(run)


def _precision(net, initial, final, variants: list[tuple[tuple[str, ...], int]], stage_of: dict[str, str]) -> float:
    """pm4py's ETC precision (precision_token_based_replay, its etconformance_token variant) of the
    journeys: over every prefix of every journey, the touchpoints the net enables after it that no
    journey took after that prefix, over all it enables (the empty prefix included)."""
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay
    from pm4py.algo.conformance.tokenreplay.variants.token_replay import Parameters
    from pm4py.objects.petri_net.utils.align_utils import get_visible_transitions_eventually_enabled_by_marking

    # as pm4py's etconformance_token.apply replays prefixes: up to the first missing token
    replay_prefixes = {Parameters.CONSIDER_REMAINING_IN_FITNESS: False, Parameters.STOP_IMMEDIATELY_UNFIT: True,
                       Parameters.TRY_TO_REACH_FINAL_MARKING_THROUGH_HIDDEN: False,
                       Parameters.WALK_THROUGH_HIDDEN_TRANS: True, Parameters.CLEANING_TOKEN_FLOOD: False,
                       Parameters.ACTIVITY_KEY: ACTIVITY}

    following: dict[tuple[str, ...], set[str]] = {}
    prefixes: dict[tuple[str, ...], int] = {}
    for path, journeys in variants:
        for end in range(1, len(path)):
            following.setdefault(path[:end], set()).add(path[end])
            prefixes[path[:end]] = prefixes.get(path[:end], 0) + journeys
    stage_prefixes = list({_stage_run(prefix, stage_of) for prefix in prefixes})
    replayed = token_replay.apply(variant_log([(prefix, 0) for prefix in stage_prefixes]), net, initial, final,
                                  parameters=replay_prefixes)
    enabled = {prefix: {t.label for t in result["enabled_transitions_in_marking"] if t.label is not None}
               for prefix, result in zip(stage_prefixes, replayed) if result["trace_is_fit"]}
    journeys = sum(n for _, n in variants)
    at_start = {t.label for t in get_visible_transitions_eventually_enabled_by_marking(net, initial)}
    allowed = journeys * len(at_start)
    escaping = journeys * len(at_start - {path[0] for path, _ in variants})
    for prefix, count in prefixes.items():
        labels = enabled.get(_stage_run(prefix, stage_of))
        if labels is not None:  # pm4py counts the prefixes the net replays without a missing token
            allowed += len(labels) * count
            escaping += len(labels - following[prefix]) * count
    return 1 - escaping / allowed if allowed else 1.0


def variant_log(variants: list[tuple[tuple[str, ...], int]]):
    """One pm4py trace per variant, in the order given."""
    from datetime import datetime, timedelta, timezone

    from pm4py.objects.log.obj import Event, EventLog, Trace

    start = datetime(2000, 1, 1, tzinfo=timezone.utc)
    log = EventLog()
    for number, (path, _) in enumerate(variants):
        trace = Trace(attributes={"concept:name": f"variant {number + 1}"})
        for position, touchpoint in enumerate(path):
            trace.append(Event({ACTIVITY: touchpoint, TIME: start + timedelta(seconds=position)}))
        log.append(trace)
    return log


def write_discovered_model(edges: list[tuple[str, str, int]], folder: Path) -> list[Path]:
    """Inductive miner on the directly-follows graph ((start)/(end) edges give start and end
    touchpoints), written as PNML and BPMN beside the CSV files."""
    import pm4py
    from pm4py.objects.bpmn.layout import layouter
    from pm4py.objects.bpmn.obj import BPMN
    from pm4py.objects.dfg.obj import DFG

    graph = {(s, t): n for s, t, n in edges if s != "(start)" and t != "(end)"}
    starts = {t: n for s, t, n in edges if s == "(start)"}
    ends = {s: n for s, t, n in edges if t == "(end)"}
    if not starts:
        return []
    net, initial, final = pm4py.discover_petri_net_inductive(DFG(graph, starts, ends))
    pnml, bpmn = folder / "discovered_model.pnml", folder / "discovered_model.bpmn"
    pm4py.write_pnml(net, initial, final, str(pnml))
    model = pm4py.convert_to_bpmn(net, initial, final)
    # pm4py lays the diagram out with Graphviz, writing task names into DOT unescaped: `<b>Blog</b>`
    # reads as a broken HTML label, a name ending in `\` ends no string. Lay it out with stand-ins of
    # the same length (the boxes' widths follow them), then write the real names.
    tasks = [(node, node.get_name()) for node in model.get_nodes() if isinstance(node, BPMN.Task)]
    for task, name in tasks:
        task.set_name("x" * len(name))
    layouter.apply(model)
    for task, name in tasks:
        task.set_name(name)
    pm4py.write_bpmn(model, str(bpmn), auto_layout=False)
    return [pnml, bpmn]
