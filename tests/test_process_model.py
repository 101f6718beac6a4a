"""Model-based figures: the per-variant route equals pm4py on every raw trace; the time budget holds."""

import random
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from journey_mining import definition, process_model

DEFINITION = """\
name: model
stages:
  - name: Awareness
    touchpoints:
      - {name: Ad, match: {event: ad}}
      - {name: Blog, match: {event: blog}}
  - name: Consideration
    touchpoints:
      - {name: Pricing, match: {event: pricing}}
      - {name: Docs, match: {event: docs}}
      - {name: Demo, match: {event: demo}}
  - name: Purchase
    touchpoints:
      - {name: Order, match: {event: order}, goal: true}
"""


@pytest.fixture
def journey(tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text(DEFINITION)
    return definition.load(path)


def random_variants(seed: int) -> list[tuple[tuple[str, ...], int]]:
    rng = random.Random(seed)
    variants = {}
    while len(variants) < 40:
        path = tuple(rng.choice(["Ad", "Blog", "Pricing", "Docs", "Demo", "Order"])
                     for _ in range(rng.randrange(1, 6)))
        variants[path] = rng.randrange(1, 40)
    return list(variants.items())


def raw_log(variants) -> pd.DataFrame:
    """Every journey as its own trace: what pm4py would be given without the per-variant route."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows = []
    case = 0
    for path, journeys in variants:
        for _ in range(journeys):
            case += 1
            rows += [{"case:concept:name": str(case), "concept:name": touchpoint,
                      "time:timestamp": start + timedelta(seconds=position)}
                     for position, touchpoint in enumerate(path)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [5, 6, 7, 8])
def test_per_variant_fitness_and_precision_equal_pm4py_on_raw_traces(journey, seed):
    import pm4py

    variants = random_variants(seed)
    ours = process_model.conformance(journey, variants)
    net, initial, final = process_model.assumed_net(journey)
    log = raw_log(variants)
    keys = {"activity_key": "concept:name", "case_id_key": "case:concept:name", "timestamp_key": "time:timestamp"}
    expected_fitness = pm4py.fitness_token_based_replay(log, net, initial, final, **keys)["log_fitness"]
    expected_precision = pm4py.precision_token_based_replay(log, net, initial, final, **keys)
    assert ours.note is None
    assert ours.fitness == pytest.approx(expected_fitness, abs=1e-12)
    assert ours.precision == pytest.approx(expected_precision, abs=1e-12)
    assert 0 < ours.fitness < 1 and 0 < ours.precision <= 1


def test_the_assumed_net_fits_a_journey_through_every_stage_with_repeats(journey):
    ours = process_model.conformance(journey, [(("Blog", "Ad", "Blog", "Pricing", "Pricing", "Order"), 3)])
    assert ours.fitness == 1.0


def test_a_figure_past_the_time_budget_is_skipped_with_a_note(journey):
    ours = process_model.conformance(journey, random_variants(7), budget_s=0.01)
    assert (ours.fitness, ours.precision) == (None, None)
    assert "time budget of 0.01 s" in ours.note


def test_the_discovered_model_is_written_as_pnml_and_bpmn_and_reads_back(tmp_path):
    import pm4py

    edges = [("(start)", "Ad", 5), ("Ad", "Pricing", 4), ("Pricing", "Order", 3), ("Ad", "(end)", 1),
             ("Pricing", "(end)", 1), ("Order", "(end)", 3)]
    written = process_model.write_discovered_model(edges, tmp_path)
    assert [p.name for p in written] == ["discovered_model.pnml", "discovered_model.bpmn"]
    net, _, _ = pm4py.read_pnml(str(written[0]))
    assert {t.label for t in net.transitions if t.label} == {"Ad", "Pricing", "Order"}
    assert "Pricing" in written[1].read_text()
