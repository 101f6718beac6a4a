"""The twin (SPEC section 8) against references written here from the SPEC's text: a hand-worked chain of
three touchpoints, and, on random journeys, a dense chain counted and solved step by step in plain Python
and numpy (removal by rebuilding the chain, not by the twin's rank-one update)."""

import csv
import json
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from journey_mining import checks, db, definition, twin
from journey_mining.paths import ranges

HAND_WORKED = """
name: twin
stages:
  - name: Look
    touchpoints:
      - {name: A, match: {event: a}}
      - {name: B, match: {event: b}}
  - name: Talk
    touchpoints:
      - {name: C, match: {event: c}}
  - name: Buy
    touchpoints:
      - {name: G, match: {event: g}, goal: true}
"""
A, B, C, G = range(4)


def load(tmp_path: Path, text: str = HAND_WORKED) -> definition.Definition:
    path = tmp_path / "twin.yaml"
    path.write_text(text)
    return definition.load(path)


def steps_of(journeys: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Path steps in journey and step order, as mining hands them over."""
    journey = np.array([number for number, path in enumerate(journeys) for _ in path], np.int64)
    touchpoint = np.array([t for path in journeys for t in path], np.int64)
    return journey, touchpoint


def fitted(journey_definition, journeys: list[list[int]], resamples: int = 0) -> twin.Twin:
    return twin.build(journey_definition, twin.chain_paths(*steps_of(journeys), journey_definition), resamples)


def test_a_hand_worked_chain_of_three_touchpoints(tmp_path):
    journey_definition = load(tmp_path)
    # chain paths: A C (conversion), A B (null), B C (conversion), C (null)
    result = fitted(journey_definition, [[A, C, G], [A, B], [B, C, G], [C]])
    # p(start→A) = 1/2, →B = 1/4, →C = 1/4; A→C, A→B 1/2 each; B→(null), B→C 1/2 each; C→(conversion) 2/3
    # from C 2/3, from B 1/3, from A 1/2·2/3 + 1/2·1/3 = 1/2; from (start) 1/4 + 1/12 + 1/6 = 1/2
    assert result.figures.conversion == pytest.approx(0.5)
    # without A: 1/4·1/3 + 1/4·2/3 = 1/4; without B: 1/2·1/3 + 1/4·2/3 = 1/3; without C: 0
    assert result.figures.removal_effect[[A, B, C]] == pytest.approx([1 / 2, 1 / 3, 1])
    credits = result.credits
    assert credits["first_touch"][[A, B, C]] == pytest.approx([1, 1, 0])
    assert credits["last_touch"][[A, B, C]] == pytest.approx([0, 0, 2])
    assert credits["linear"][[A, B, C]] == pytest.approx([0.5, 0.5, 1])
    assert credits["position_based"][[A, B, C]] == pytest.approx([0.5, 0.5, 1])
    # reach: Look from (start) to A or B, 3/4; Talk (C) from B 1/2, from A 1/2 + 1/2·1/2 = 3/4, from (start)
    # 1/2·3/4 + 1/4·1/2 + 1/4 = 3/4; Buy, its goal only: P(conv)
    assert result.figures.model_reach == pytest.approx([3 / 4, 3 / 4, 1 / 2])


@pytest.mark.parametrize(("path", "expected"), [
    ([A, G], {"first_touch": {A: 1}, "last_touch": {A: 1}, "linear": {A: 1}, "position_based": {A: 1}}),
    ([A, B, G], {"first_touch": {A: 1}, "last_touch": {B: 1}, "linear": {A: 0.5, B: 0.5},
                 "position_based": {A: 0.5, B: 0.5}}),
    ([A, B, C, G], {"first_touch": {A: 1}, "last_touch": {C: 1}, "linear": {A: 1 / 3, B: 1 / 3, C: 1 / 3},
                    "position_based": {A: 0.4, B: 0.2, C: 0.4}}),
    ([A, B, A, C, G], {"first_touch": {A: 1}, "last_touch": {C: 1}, "linear": {A: 0.5, B: 0.25, C: 0.25},
                       "position_based": {A: 0.4 + 0.1, B: 0.1, C: 0.4}}),
    ([G], {"first_touch": {}, "last_touch": {}, "linear": {}, "position_based": {}}),  # no step: credits nobody
    ([A, A, B], {"first_touch": {}, "last_touch": {}, "linear": {}, "position_based": {}}),  # not converted
])
def test_each_heuristic_credit_of_one_journey(tmp_path, path, expected):
    result = fitted(load(tmp_path), [path])
    for name, credit in expected.items():
        assert result.credits[name] == pytest.approx([credit.get(t, 0) for t in range(4)]), name


def test_chain_paths_stop_at_the_first_goal_and_merge_repeats(tmp_path):
    journey_definition = load(tmp_path)
    paths = twin.chain_paths(*steps_of([[A, A, B, G, C, G], [A, B, G], [B], [B], [C, G, A]]), journey_definition)
    described = sorted(zip(paths.texts(journey_definition).to_pylist(), paths.converted.tolist(),
                           paths.journeys.tolist()))
    assert described == [("A > B", True, 2), ("B", False, 2), ("C", True, 1)]


# --- against a dense reference on random journeys --------------------------------------------------------

def reference(journeys: list[list[int]], touchpoints: int, goals: set[int]) -> dict:
    """The SPEC's figures counted and solved directly: chain paths built step by step, the chain as exact
    fractions of counts, each removal as a rebuilt chain."""
    chains = []
    for path in journeys:
        states, converted = [], False
        for t in path:
            if t in goals:
                converted = True
                break
            if not states or states[-1] != t:
                states.append(t)
        chains.append((states, converted))
    size = touchpoints + 3  # (start), touchpoints, (conversion), (null)
    start, conv, null = 0, touchpoints + 1, touchpoints + 2
    counts = np.zeros((size, size))
    for states, converted in chains:
        sequence = [start] + [t + 1 for t in states] + [conv if converted else null]
        for a, b in zip(sequence, sequence[1:]):
            counts[a, b] += 1

    def conversion(matrix):
        totals = matrix.sum(axis=1, keepdims=True)
        p = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
        transient = list(range(touchpoints + 1))
        q = p[np.ix_(transient, transient)]
        return np.linalg.solve(np.eye(len(transient)) - q, p[transient, conv])[0]

    base = conversion(counts)
    removal = []
    for t in range(touchpoints):
        removed = counts.copy()
        removed[:, null] += removed[:, t + 1]
        removed[:, t + 1] = 0
        removal.append(1 - conversion(removed) / base if base else np.nan)
    credits = {name: np.zeros(touchpoints) for name in ("first_touch", "last_touch", "linear", "position_based")}
    for states, converted in chains:
        n = len(states)
        if not converted or not n:
            continue
        credits["first_touch"][states[0]] += 1
        credits["last_touch"][states[-1]] += 1
        for position, t in enumerate(states):
            credits["linear"][t] += Fraction(1, n)
            if n == 1:
                share = 1
            elif n == 2:
                share = Fraction(1, 2)
            else:
                share = Fraction(2, 5) if position in (0, n - 1) else Fraction(1, 5) / (n - 2)
            credits["position_based"][t] += share
    observed = sum(converted for _, converted in chains) / len(chains)
    return {"conversion": base, "removal": np.array(removal), "credits": credits, "observed": observed}


@pytest.mark.parametrize("seed", range(8))
def test_random_journeys_give_the_dense_reference_figures(tmp_path, seed):
    journey_definition = load(tmp_path)
    rng = np.random.default_rng(seed)
    journeys = [list(rng.choice(4, size=rng.integers(1, 7), p=[0.3, 0.3, 0.25, 0.15])) for _ in range(60)]
    result = fitted(journey_definition, journeys)
    expected = reference(journeys, 4, {G})
    assert result.figures.conversion == pytest.approx(expected["conversion"], abs=1e-12)
    assert result.figures.conversion == pytest.approx(expected["observed"], abs=1e-12)  # the SPEC's check
    assert result.figures.removal_effect[[A, B, C]] == pytest.approx(expected["removal"][[A, B, C]], abs=1e-12)
    for name, credit in expected["credits"].items():
        assert result.credits[name] == pytest.approx(credit.astype(float), abs=1e-12), name


@pytest.mark.parametrize("threads", [1, 3])
def test_bootstrap_resamples_are_draws_of_as_many_journeys_and_repeatable(tmp_path, monkeypatch, threads):
    monkeypatch.setattr(twin, "COUNTING_THREADS", threads)  # however many cores count the draws
    journey_definition = load(tmp_path)
    journeys = [[A, C, G], [A, B], [B, C, G], [C]] * 5
    paths = twin.chain_paths(*steps_of(journeys), journey_definition)
    drawn = list(twin.resampled_weights(paths, 30))
    assert len(drawn) == 30 and all(weights.sum() == 20 for weights in drawn)
    # each resample: 20 journeys drawn from one numpy stream seeded 0, the journeys in chain path order
    rng, path_of_journey = np.random.default_rng(0), np.repeat(np.arange(len(paths)), paths.journeys)
    assert all((weights == np.bincount(path_of_journey[rng.integers(0, 20, 20)], minlength=len(paths))).all()
               for weights in drawn)
    again = list(twin.resampled_weights(paths, 30))
    assert all((a == b).all() for a, b in zip(drawn, again))
    result = twin.build(journey_definition, paths, resamples=30)
    low, high = twin.interval(np.array([figures.removal_effect for figures in result.resampled]))
    assert (low[[A, B, C]] <= result.figures.removal_effect[[A, B, C]] + 1e-12).all()
    assert (result.figures.removal_effect[[A, B, C]] <= high[[A, B, C]] + 1e-12).all()


# --- what-if ----------------------------------------------------------------------------------------------

HAND_JOURNEYS = [[A, C, G], [A, B], [B, C, G], [C]]


@pytest.mark.parametrize(("scenarios", "conversion"), [
    # B's row: (null) 1/2 -> 1/4, C 1/2 -> 3/4; from B 1/2, from A 1/3 + 1/4 = 7/12; 7/24 + 1/8 + 1/6
    (["exit B = -50%"], 7 / 12),
    # A's row: C 1/2 -> 3/4, B 1/4; from A 1/2 + 1/12 = 7/12; 7/24 + 1/12 + 1/6
    (["edge A -> C = +50%"], 13 / 24),
    # into the goal is into (conversion): C's row 2/3 -> 11/15; from B 11/30, A 11/20; 11/40 + 11/120 + 11/60
    (["edge C -> G = +10%"], 11 / 20),
    (["exit C = +500%"], 0.0),  # 1/3 · 6 clamped to 1: nobody converts
    (["remove C"], 0.0),
    (["remove A"], 1 / 4),  # the removal effect's own chain
    (["exit B = -50%", "edge A -> C = +50%"], 1 / 2 * (3 / 4 * 2 / 3 + 1 / 4 * 1 / 2) + 1 / 4 * 1 / 2 + 1 / 4 * 2 / 3),
])
def test_a_hand_worked_what_if(tmp_path, scenarios, conversion):
    journey_definition = load(tmp_path)
    paths = twin.chain_paths(*steps_of(HAND_JOURNEYS), journey_definition)
    changes = [twin.parse_scenario(journey_definition, text) for text in scenarios]
    result = twin.what_if(journey_definition, paths, changes, resamples=0)
    assert result.stages == ["Look", "Talk", "Buy", "(conversion)"]
    assert result.baseline[-1] == pytest.approx(0.5)
    assert result.predicted[-1] == pytest.approx(conversion)
    assert np.isnan(result.low).all() and np.isnan(result.high).all()  # no resample drawn


def test_a_what_if_moves_the_stage_reach_too(tmp_path):
    journey_definition = load(tmp_path)
    paths = twin.chain_paths(*steps_of(HAND_JOURNEYS), journey_definition)
    result = twin.what_if(journey_definition, paths, [twin.parse_scenario(journey_definition, "exit B = -50%")], 0)
    # Talk (C): from B 3/4, from A 1/2 + 1/2 · 3/4 = 7/8, from (start) 7/16 + 3/16 + 1/4
    assert result.baseline == pytest.approx([3 / 4, 3 / 4, 1 / 2, 1 / 2])
    assert result.predicted == pytest.approx([3 / 4, 7 / 8, 7 / 12, 7 / 12])


def test_the_what_if_interval_comes_from_the_resamples_of_the_mining_run(tmp_path):
    journey_definition = load(tmp_path)
    paths = twin.chain_paths(*steps_of(HAND_JOURNEYS * 10), journey_definition)
    change = twin.parse_scenario(journey_definition, "remove A")
    result = twin.what_if(journey_definition, paths, [change], resamples=50)
    without_a = [twin.Chain(chain.counts, change.apply(chain.probability)).conversion()
                 for chain in (twin.fit(twin.layout(paths, 4), weights) for weights in twin.resampled_weights(paths, 50))]
    assert (result.low[-1], result.high[-1]) == pytest.approx(tuple(np.percentile(without_a, [2.5, 97.5])))
    model = twin.build(journey_definition, paths, resamples=50)
    # removing A is its removal effect: the same draws give P(conv) · (1 - removal effect)
    assert sorted(without_a) == pytest.approx(sorted(f.conversion * (1 - f.removal_effect[A]) for f in model.resampled))


@pytest.mark.parametrize(("scenario", "message"), [
    ("exit Nope = -20%", "scenario 'exit Nope = -20%': no touchpoint 'Nope' in "),
    ("exit G = -20%", "scenario 'exit G = -20%': G is a goal"),
    ("exit A = minus twenty", "scenario 'exit A = minus twenty': not understood"),
    ("edge A => C = 10%", "scenario 'edge A => C = 10%': not understood"),
    ("cut A", "scenario 'cut A': not understood"),
])
def test_a_scenario_that_names_no_touchpoint_or_reads_wrong_is_bad_usage(tmp_path, scenario, message):
    with pytest.raises(twin.UsageError, match="^" + re.escape(message)):
        twin.parse_scenario(load(tmp_path), scenario)


def test_a_mistyped_touchpoint_in_a_scenario_is_named_with_the_closest_one(tmp_path):
    with pytest.raises(twin.UsageError, match=re.escape("no touchpoint 'Bb' in ") + r".* \(did you mean 'B'\?\)$"):
        twin.parse_scenario(load(tmp_path), "exit Bb = -20%")
    with pytest.raises(twin.UsageError, match=r"no touchpoint 'Zebra' in [^(]*$"):  # nothing close: no guess
        twin.parse_scenario(load(tmp_path), "remove Zebra")


# --- the command line and the mined tables -----------------------------------------------------------------

def journeys_command(*args, cwd):
    return subprocess.run([sys.executable, "-m", "journey_mining.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def mined_hand_example(tmp_path_factory):
    """The hand-worked journeys ingested and mined by the command line."""
    folder = tmp_path_factory.mktemp("twin")
    events = [(person, event, minute) for person, path in enumerate(["acg", "ab", "bcg", "c"])
              for minute, event in enumerate(path)]
    (folder / "events.jsonl").write_text("".join(
        json.dumps({"event_id": f"e{n}", "anonymous_id": f"p{person}", "event": event,
                    "timestamp": f"2026-09-01T10:0{minute}:00Z"}) + "\n"
        for n, (person, event, minute) in enumerate(events)))
    (folder / "twin.yaml").write_text(HAND_WORKED)
    assert journeys_command("ingest", "clickstream", "events.jsonl", "--db", "j.duckdb", cwd=folder).returncode == 0
    mined = journeys_command("mine", "twin.yaml", "--db", "j.duckdb", "--out", "out", cwd=folder)
    assert mined.returncode == 0, mined.stderr
    return folder


@pytest.mark.slow
def test_mining_writes_the_hand_worked_twin(mined_hand_example):
    out = mined_hand_example / "out" / "twin"
    with open(out / "attribution.csv", newline="") as handle:
        rows = {row["touchpoint"]: row for row in csv.DictReader(handle)}
    assert list(rows) == ["A", "B", "C"]  # G is the goal
    assert [float(rows[t]["removal_effect"]) for t in "ABC"] == pytest.approx([1 / 2, 1 / 3, 1])
    assert [float(rows[t]["share"]) for t in "ABC"] == pytest.approx([3 / 11, 2 / 11, 6 / 11])
    assert [float(rows[t]["attributed_conversions"]) for t in "ABC"] == pytest.approx([6 / 11, 4 / 11, 12 / 11])
    assert [int(rows[t]["journeys"]) for t in "ABC"] == [2, 2, 3]
    for t in "ABC":
        assert float(rows[t]["removal_effect_low"]) <= float(rows[t]["removal_effect_high"])
    with open(out / "twin_stages.csv", newline="") as handle:
        stages = [(row["stage"], float(row["observed_reach"]), float(row["model_reach"]))
                  for row in csv.DictReader(handle)]
    assert stages == [("Look", 3 / 4, pytest.approx(3 / 4)), ("Talk", 3 / 4, pytest.approx(3 / 4)),
                      ("Buy", 1 / 2, pytest.approx(1 / 2))]
    with open(out / "twin_transitions.csv", newline="") as handle:
        moves = {(row["source"], row["target"]): (int(row["transitions"]), float(row["probability"]))
                 for row in csv.DictReader(handle)}
    assert moves == {("(start)", "A"): (2, 0.5), ("(start)", "B"): (1, 0.25), ("(start)", "C"): (1, 0.25),
                     ("A", "B"): (1, 0.5), ("A", "C"): (1, 0.5), ("B", "(null)"): (1, 0.5), ("B", "C"): (1, 0.5),
                     ("C", "(conversion)"): (2, pytest.approx(2 / 3)), ("C", "(null)"): (1, pytest.approx(1 / 3))}


@pytest.mark.slow
def test_whatif_answers_from_the_mined_chain_and_refuses_what_it_cannot_read(mined_hand_example):
    folder = mined_hand_example
    asked = journeys_command("whatif", "twin.yaml", "--scenario", "exit B = -50%", "--db", "j.duckdb",
                             "--out", "out", "--json", cwd=folder)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert [row["stage"] for row in answer["rows"]] == ["Look", "Talk", "Buy", "(conversion)"]
    conversion = answer["rows"][-1]
    assert (conversion["baseline"], conversion["predicted"]) == (pytest.approx(1 / 2), pytest.approx(7 / 12))
    assert conversion["change"] == pytest.approx(1 / 12)
    assert conversion["predicted_low"] <= conversion["predicted_high"]
    with open(folder / "out" / "twin" / "whatif.csv", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [row["scenario"] for row in written] == ["exit B = -50%"] * 4
    assert float(written[-1]["predicted"]) == pytest.approx(7 / 12)

    table = journeys_command("whatif", "twin.yaml", "--scenario", "exit B = -50%", "--db", "j.duckdb",
                             "--out", "out", cwd=folder)
    assert "(conversion)" in table.stdout and "50.00 %" in table.stdout and "58.33 %" in table.stdout

    bad = journeys_command("whatif", "twin.yaml", "--scenario", "exit Nope = -5%", "--db", "j.duckdb", cwd=folder)
    assert (bad.returncode, bad.stderr.strip()) == (
        2, f"journeys: scenario 'exit Nope = -5%': no touchpoint 'Nope' in twin.yaml")
    (folder / "other.yaml").write_text(HAND_WORKED.replace("name: twin", "name: other"))
    unmined = journeys_command("whatif", "other.yaml", "--scenario", "remove A", "--db", "j.duckdb", cwd=folder)
    assert unmined.returncode == 1 and "other: not mined in this database yet" in unmined.stderr


# --- journeys simulated from a known chain -----------------------------------------------------------------

# A true chain over A, B, C (rows: (start), A, B, C; columns: A, B, C, (conversion), (null))
TRUE_CHAIN = np.array([
    [0.5, 0.3, 0.2, 0.0, 0.0],
    [0.0, 0.3, 0.3, 0.1, 0.3],
    [0.2, 0.0, 0.4, 0.1, 0.3],
    [0.1, 0.1, 0.0, 0.5, 0.3],
])


def simulated(rng: np.random.Generator, journeys: int) -> list[list[int]]:
    """Journeys walked on TRUE_CHAIN, a conversion written as the goal G."""
    walked = []
    for _ in range(journeys):
        state, path = 0, []
        while True:
            move = rng.choice(5, p=TRUE_CHAIN[state])
            if move >= 3:
                walked.append(path + ([G] if move == 3 else []))
                break
            path.append(move)
            state = move + 1
    return walked


def true_figures(change: twin.Change) -> tuple[np.ndarray, float]:
    """The true chain's removal effects of A, B, C and its conversion after `change`."""
    counts = np.zeros((5, 7))  # (start), A, B, C, G (never a state); then (conversion), (null)
    counts[:4, [1, 2, 3, 5, 6]] = TRUE_CHAIN
    chain = twin.Chain.from_counts(counts)
    removal = 1 - chain.without_each()[[A, B, C]] / chain.conversion()
    return removal, twin.Chain(counts, change.apply(chain.probability)).conversion()


@pytest.mark.slow  # 100 simulated data sets of 2,000 journeys, each with 200 resamples: about 10 s
def test_the_intervals_hold_the_true_chains_figures_in_nine_seeds_of_ten(tmp_path):
    """Issue 13's bar: in at least 90 of 100 seeds, each 95 % interval holds the true chain's figure (an
    interval that holds it 95 % of the time misses it in more than 10 of 100 seeds about once in 35 runs of
    the whole test; the seeds are fixed, so the test gives the same answer every run)."""
    seeds = range(100)
    journey_definition = load(tmp_path)
    change = twin.parse_scenario(journey_definition, "exit C = -30%")
    truth, true_conversion = true_figures(change)
    covered = np.zeros(4)
    for seed in seeds:
        paths = twin.chain_paths(*steps_of(simulated(np.random.default_rng(seed), 2000)), journey_definition)
        model = twin.build(journey_definition, paths)
        low, high = twin.interval(np.array([f.removal_effect[[A, B, C]] for f in model.resampled]))
        covered[:3] += (low <= truth) & (truth <= high)
        predicted = twin.what_if(journey_definition, paths, [change])
        covered[3] += predicted.low[-1] <= true_conversion <= predicted.high[-1]
    assert (covered >= 0.9 * len(seeds)).all(), covered


@pytest.mark.slow
def test_the_stored_chain_converts_as_the_journeys_did_until_it_is_edited(mined_hand_example, tmp_path):
    database = tmp_path / "copy.duckdb"
    shutil.copy(mined_hand_example / "j.duckdb", database)
    con = db.connect(database)
    assert checks.twin_conversion_off(con, "twin").ok
    # C -> (conversion) 2 of 3 becomes 1 of 2: from C 1/2, B 1/4, A 3/8, (start) 3/16 + 1/16 + 1/8 = 0.375, not 2/4
    con.execute("update twin_transitions set transitions = 1 where source = 'C' and target = '(conversion)'")
    found = checks.twin_conversion_off(con, "twin")
    con.close()
    assert found.count == 1 and found.examples[0].startswith("the chain converts 0.375 of journeys, the journeys "
                                                             "converted 2 of 4 (0.5)")


@pytest.mark.parametrize("seed", [7, 8])
def test_removal_effect_shares_agree_with_channelattribution_which_simulates(tmp_path, seed):
    """ChannelAttribution's markov_model (order 1) on the same chain paths estimates removal effects by
    simulating journeys; ours are solved exactly, so the shares agree within its simulation noise."""
    import ChannelAttribution
    import pandas as pd

    journey_definition = load(tmp_path)
    paths = twin.chain_paths(*steps_of(simulated(np.random.default_rng(seed), 5000)), journey_definition)
    ours = twin.build(journey_definition, paths, resamples=0).figures.removal_effect[[A, B, C]]
    given = pd.DataFrame({"path": paths.texts(journey_definition).to_pylist(),
                          "conversions": np.where(paths.converted, paths.journeys, 0),
                          "nulls": np.where(paths.converted, 0, paths.journeys)}).groupby("path", as_index=False).sum()
    result = ChannelAttribution.markov_model(given, "path", "conversions", var_null="nulls", order=1, out_more=True,
                                             verbose=False, flg_pro=False, seed=0)
    theirs = result["removal_effects"].set_index("channel_name")["removal_effect"][["A", "B", "C"]].to_numpy()
    assert ours / ours.sum() == pytest.approx(theirs / theirs.sum(), abs=0.03)


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 5)), max_size=20))
def test_ranges_lists_every_position_of_every_range_one_after_another(spans):
    starts = np.array([start for start, _ in spans], np.int64)
    ends = starts + np.array([length for _, length in spans], np.int64)
    assert ranges(starts, ends).tolist() == [p for start, length in spans for p in range(start, start + length)]
