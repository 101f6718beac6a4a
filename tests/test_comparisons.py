"""The comparison engine (SPEC section 10) against hand-worked figures and independent routes: the
two-proportion z-test worked out with the normal distribution by hand, Fisher's exact test summed from
the hypergeometric distribution here, Benjamini–Hochberg by hand, the rules of a difference, the horizon
rule on mined journeys, and alerts on simulated nights."""

import json
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from journey_mining import comparisons, db, definition, identity, ingest, mining


def two_sided_z(x1, n1, x2, n2):
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def fisher_by_hand(x1, n1, x2, n2):
    """Two-sided: the probability of every table with the same margins no likelier than the one seen."""
    hits, total = x1 + x2, n1 + n2

    def probability(a):
        return math.comb(n1, a) * math.comb(n2, hits - a) / math.comb(total, hits)

    seen = probability(x1)
    return sum(probability(a) for a in range(max(0, hits - n2), min(hits, n1) + 1) if probability(a) <= seen * (1 + 1e-7))


def test_the_pooled_z_test_worked_by_hand():
    # 30 of 100 against 50 of 100: pooled 0.4, se sqrt(0.4 · 0.6 · 0.02) = 0.069282, z = 2.88675
    (p,) = comparisons.p_values([30], [100], [50], [100])
    assert p == pytest.approx(0.0038924, abs=1e-7)
    assert p == pytest.approx(two_sided_z(30, 100, 50, 100), rel=1e-12)


def test_fisher_when_an_expected_cell_is_under_five():
    # 1 of 10 against 6 of 10: the smallest expected cell is 10 · 7 / 20 = 3.5
    (p,) = comparisons.p_values([1], [10], [6], [10])
    assert p == pytest.approx(fisher_by_hand(1, 10, 6, 10), rel=1e-9)
    assert p == pytest.approx(0.0572755, abs=1e-6)
    # nobody on either side: Fisher gives 1; a side of no one cannot be tested
    assert list(comparisons.p_values([0], [50], [0], [40])) == [1.0]
    assert np.isnan(comparisons.p_values([0], [0], [1], [9])[0])


def test_p_values_equal_scipys_tests_on_random_tables():
    rng = np.random.default_rng(3)
    n1, n2 = rng.integers(1, 400, 300), rng.integers(1, 400, 300)
    x1, x2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
    ours = comparisons.p_values(x1, n1, x2, n2)
    for a, m, b, k, p in zip(x1, n1, x2, n2, ours):
        table = np.array([[a, m - a], [b, k - b]])
        if a + b in (0, m + k) or stats.contingency.expected_freq(table).min() < 5:
            assert p == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-9)
        else:
            assert p == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-9)


def counted(rows):
    """A counted table of items from {(item_kind, item): (previous x, n, current x, n)}; conversion sets the
    journeys of each group."""
    records = []
    for (kind, item), (x1, n1, x2, n2) in rows.items():
        records += [{"group": 0, "item_kind": kind, "item": item, "x": x1, "n": n1},
                    {"group": 1, "item_kind": kind, "item": item, "x": x2, "n": n2}]
    return pd.DataFrame(records)


def test_benjamini_hochberg_by_hand():
    # four items whose p-values are known (one-sided tables chosen to give them) are adjusted as
    # q = min over ranks >= r of p · m / rank
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert list(stats.false_discovery_control(p, method="bh")) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    table = comparisons.compare(counted({
        ("conversion", ""): (100, 1000, 160, 1000),
        ("conformance", ""): (500, 1000, 540, 1000),
        ("variant", "A > B"): (50, 1000, 75, 1000),
        ("variant", "A"): (300, 1000, 290, 1000)}))
    ranked = table.sort_values("p_value")
    m = len(ranked)
    by_hand = np.minimum.accumulate((ranked["p_value"] * m / np.arange(1, m + 1)).to_numpy()[::-1])[::-1]
    assert ranked["q_value"].to_numpy() == pytest.approx(np.minimum(by_hand, 1))


def test_the_rules_of_a_difference():
    table = comparisons.compare(counted({
        ("conversion", ""): (100, 1000, 160, 1000),          # +6 pp, sure: increase
        ("variant", "A > B"): (0, 1000, 40, 1000),            # none before, 4 % now: new
        ("variant", "C"): (40, 1000, 0, 1000),                # vanished
        ("variant", "D"): (0, 1000, 29, 1000),                # sure, but 29 < 30 journeys: not a difference
        ("transition", "A > B"): (4000, 1_000_000, 4_300, 1_000_000),  # surely up, but by 0.03 pp only
        ("stage", "Look"): (300, 600, 200, 600),               # drop-off down: decrease
    })).set_index(["item_kind", "item"])
    assert table.loc[("conversion", ""), "kind"] == "increase"
    assert table.loc[("variant", "A > B"), "kind"] == "new"
    assert table.loc[("variant", "C"), "kind"] == "vanished"
    assert table.loc[("stage", "Look"), "kind"] == "decrease"
    assert table.loc[("variant", "D"), "q_value"] < 0.05 and table.loc[("variant", "D"), "kind"] is None
    assert table.loc[("transition", "A > B"), "q_value"] < 0.05 and table.loc[("transition", "A > B"), "kind"] is None
    # differences first
    assert [kind is not None for kind in table["kind"]] == [True] * 4 + [False] * 2


HORIZON = """\
name: horizon
cut: {inactivity: 30d}
stages:
  - name: Look
    touchpoints:
      - {name: Page, match: {event: page_view}}
  - name: Buy
    touchpoints:
      - {name: Order, match: {event: order}, goal: true}
funnels:
  - {name: f, steps: [Page, Order]}
alerts: {window: 7d, horizon: 7d}
"""


def test_a_journey_converting_after_the_horizon_is_not_converted_in_alerts(tmp_path):
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    rows = [  # a converts 10 days after its start, the latest event: T = Sep 11, current days [Aug 28, Sep 4)
        ("a-1", "a", start, "page_view"), ("a-2", "a", start + timedelta(days=10), "order"),
        # b starts in the window before ([Aug 21, Aug 28)) and converts within the hour
        ("b-1", "b", start - timedelta(days=6), "page_view"), ("b-2", "b", start - timedelta(days=6, hours=-1), "order")]
    landing = tmp_path / "clickstream.jsonl"
    landing.write_text("".join(json.dumps({"event_id": e, "anonymous_id": p, "event": kind, "timestamp": at.isoformat()})
                               + "\n" for e, p, at, kind in rows))
    definition_file = tmp_path / "horizon.yaml"
    definition_file.write_text(HORIZON)
    journey = definition.load(definition_file)
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "clickstream", [landing])
    identity.build_persons(con)
    mining.mine(con, journey)
    comparisons.grouped(con, "alert_windows", {"definition": "horizon", "horizon_days": 7, "window_days": 7,
                                                "latest_day": comparisons.latest_event_day(con)})
    items = comparisons.counts(con, journey, "alert_windows", 7).set_index(["group", "item_kind", "item"])
    assert items.loc[(1, "conversion", ""), ["x", "n"]].tolist() == [0, 1]   # a, read at day 7
    assert items.loc[(0, "conversion", ""), ["x", "n"]].tolist() == [1, 1]   # b
    assert items.loc[(1, "variant", "Page"), "x"] == 1 and (1, "variant", "Page > Order") not in items.index
    assert items.loc[(1, "funnel_step", "f: step 2"), ["x", "n"]].tolist() == [0, 1]
    assert items.loc[(0, "funnel_step", "f: step 2"), ["x", "n"]].tolist() == [1, 1]
    # read as mined (no horizon), a converted
    full = comparisons.counts(con, journey, "alert_windows", None).set_index(["group", "item_kind", "item"])
    assert full.loc[(1, "conversion", ""), ["x", "n"]].tolist() == [1, 1]
    con.close()


SIMULATED = """\
name: simulated
stages:
  - name: Aware
    touchpoints:
      - {name: Ad, match: {event: ad}}
      - {name: Blog, match: {event: blog}}
  - name: Consider
    touchpoints:
      - {name: Pricing, match: {event: pricing}}
      - {name: Demo, match: {event: demo}}
  - name: Buy
    touchpoints:
      - {name: Order, match: {event: order}, goal: true}
"""
# a first-order walk over the five touchpoints (Order ends it), plus leaving (index 5)
WALK = np.array([
    [0.00, 0.30, 0.35, 0.10, 0.05, 0.20],
    [0.05, 0.10, 0.40, 0.10, 0.05, 0.30],
    [0.02, 0.10, 0.10, 0.25, 0.13, 0.40],
    [0.00, 0.02, 0.20, 0.00, 0.28, 0.50],
])
PLANTED = np.r_[0, 3, 4, np.full(9, -1)]  # Ad > Demo > Order: converting, and a variant of its own


def simulated_window(rng, journeys, planted_share, first_key):
    """Path steps of `journeys` walks (start at Ad or Blog, at most 12 steps), walked together step by step;
    a share of them replaced by the planted path."""
    planted = rng.random(journeys) < planted_share
    at = np.where(planted, PLANTED[0], rng.integers(0, 2, journeys))
    walks = [at]
    alive = ~planted & (at != 4)
    for _ in range(11):
        cumulative = WALK.cumsum(axis=1)[np.minimum(walks[-1], 3)]
        following = (rng.random(journeys)[:, None] > cumulative).sum(axis=1)
        step = np.where(planted, PLANTED[len(walks)], np.where(alive & (following < 5), following, -1))
        alive &= (step >= 0) & (step != 4)
        walks.append(step)
    steps = np.stack(walks, axis=1)  # journey × step, -1 after the end
    journey, position = np.nonzero(steps >= 0)
    return first_key + journey, steps[journey, position]


def night(journey_definition, rng, planted_share):
    previous, current = (simulated_window(rng, 60_000, share, first) for share, first in
                         ((0.0, 0), (planted_share, 10_000_000)))
    keys, touchpoints = np.r_[previous[0], current[0]], np.r_[previous[1], current[1]]
    group = (keys >= 10_000_000).astype(np.int64)
    at = np.zeros(len(keys), np.int64)
    items = comparisons.journey_items(journey_definition, group, keys, touchpoints, at, at)
    return comparisons.compare(items)


def test_alerts_on_simulated_nights(tmp_path):
    """50 nights of 60,000 journeys a window without a change: at most 0.1 false alerts a night on average.
    50 nights where a path that converts took 2 % of the current window's journeys (its variant share
    +2 pp, conversion +1 pp or more): both found in at least 90 % of nights."""
    definition_file = tmp_path / "simulated.yaml"
    definition_file.write_text(SIMULATED)
    journey_definition = definition.load(definition_file)
    false_alerts = sum(night(journey_definition, np.random.default_rng(seed), 0.0)["kind"].notna().sum()
                       for seed in range(50))
    found, changes = {"variant": 0, "conversion": 0}, []
    for seed in range(50):
        alerts = night(journey_definition, np.random.default_rng(1000 + seed), 0.02)
        changes.append(alerts.loc[alerts["item_kind"] == "conversion", "change"].item())
        differences = set(zip(alerts["item_kind"][alerts["kind"].notna()], alerts["item"][alerts["kind"].notna()]))
        found["variant"] += ("variant", "Ad > Demo > Order") in differences
        found["conversion"] += ("conversion", "") in differences
    print(f"false alerts: {false_alerts / 50:.2f} a night; planted found: {found}; conversion changed by "
          f"{100 * min(changes):.2f} to {100 * max(changes):.2f} pp")
    assert false_alerts / 50 <= 0.1
    assert found["variant"] >= 45 and found["conversion"] >= 45
