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
    import pm4py
    from pm4py.algo.conformance.tokenreplay import algorithm as token_replay

    net, initial, final = assumed_net(definition)
    log = variant_log(variants)
    replayed = token_replay.apply(log, net, initial, final, parameters={"activity_key": ACTIVITY})
    totals = {"missing_tokens": 0, "consumed_tokens": 0, "remaining_tokens": 0, "produced_tokens": 0}
    for trace_result, (_, journeys) in zip(replayed, variants):
        for key in totals:
            totals[key] += trace_result[key] * journeys
    # pm4py's log fitness (replay_fitness.token_replay.evaluate), with each variant counted per journey
    fitness = 0.5 * (1 - totals["missing_tokens"] / totals["consumed_tokens"]) \
        + 0.5 * (1 - totals["remaining_tokens"] / totals["produced_tokens"])
    # precision counts prefixes per trace: the variant traces repeated by reference, not copied
    weighted = pm4py.objects.log.obj.EventLog([trace for trace, (_, n) in zip(log, variants) for _ in range(n)])
    precision = pm4py.precision_token_based_replay(weighted, net, initial, final, activity_key=ACTIVITY,
                                                   case_id_key=CASE, timestamp_key=TIME)
    return fitness, precision


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
    from pm4py.objects.dfg.obj import DFG

    graph = {(s, t): n for s, t, n in edges if s != "(start)" and t != "(end)"}
    starts = {t: n for s, t, n in edges if s == "(start)"}
    ends = {s: n for s, t, n in edges if t == "(end)"}
    if not starts:
        return []
    net, initial, final = pm4py.discover_petri_net_inductive(DFG(graph, starts, ends))
    pnml, bpmn = folder / "discovered_model.pnml", folder / "discovered_model.bpmn"
    pm4py.write_pnml(net, initial, final, str(pnml))
    pm4py.write_bpmn(pm4py.convert_to_bpmn(net, initial, final), str(bpmn))
    return [pnml, bpmn]
