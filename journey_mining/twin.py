"""The digital customer twin (SPEC section 8): a first-order absorbing Markov chain fitted to a
definition's journeys, which says which touchpoints carry conversions (removal effects, beside the
heuristic credits) and what conversion would be if the chain changed (what-if).

Each journey becomes a chain path: (start), its path's touchpoints up to its first goal step (consecutive
repeats merged), then (conversion) when it has a goal step, else (null). Journeys with the same chain path
are one row with a count, so the fit, and each bootstrap resample (the journeys drawn with replacement,
counted per distinct chain path), costs per distinct path, not per journey. Every probability is solved exactly
from the fundamental matrix; nothing is simulated.

States are numbered: 0 is (start), 1 … T are the definition's touchpoints (index + 1; goal touchpoints and
touchpoints that never occur are rows of zeros), then CONVERSION and NULL are the two absorbing states.
"""

import os
import re
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import scipy.sparse as sparse

from journey_mining import sql
from journey_mining.definition import PATH_JOIN, Definition
from journey_mining.errors import UsageError, did_you_mean
from journey_mining.exports import spreadsheet_safe
from journey_mining.paths import as_bytes, goal_of, ranges, texts as path_texts

START_STATE, CONVERSION_STATE, NULL_STATE = "(start)", "(conversion)", "(null)"
RESAMPLES = 200  # bootstrap resamples over journeys (SPEC: B = 200)
SEED = 0
INTERVAL = (2.5, 97.5)  # percentiles of the resampled figures
COUNTING_THREADS = len(os.sched_getaffinity(0))  # resamples counted at once, one a core
RESAMPLE_BATCH = 25  # resamples drawn and summed at once: their weights are a distinct-paths × batch matrix


@dataclass(frozen=True)
class ChainPaths:
    """The distinct chain paths of a definition's journeys: path p's touchpoint indices are
    `touchpoints[offsets[p]:offsets[p + 1]]`; it converted or not; `journeys[p]` journeys took it."""

    offsets: np.ndarray
    touchpoints: np.ndarray
    converted: np.ndarray
    journeys: np.ndarray

    def __len__(self) -> int:
        return len(self.journeys)

    def texts(self, definition: Definition) -> pa.Array:
        """Each path as its touchpoint names joined as in every export ('' for no step)."""
        return path_texts(self.offsets, self.touchpoints, [t.name for t in definition.touchpoints])

    @classmethod
    def from_texts(cls, definition: Definition, paths: Sequence[str], converted: Sequence[bool],
                   journeys: Sequence[int]) -> "ChainPaths":
        """The chain paths as texts (journeys.chain_path grouped, or twin_paths as stored), read against the
        definition they were mined with, in the order chain_paths gives them (so that a bootstrap draws the
        same resamples)."""
        names = pa.array([t.name for t in definition.touchpoints], pa.string())
        texts = pa.array(paths, pa.string())
        steps = pc.split_pattern(pc.if_else(pc.equal(texts, ""), pa.scalar(None, pa.string()), texts), PATH_JOIN)
        lengths = pc.fill_null(pc.list_value_length(steps), 0).to_numpy().astype(np.int64)  # '' is no step
        touchpoints = pc.index_in(pc.list_flatten(steps), value_set=names).to_numpy(zero_copy_only=False)
        return _in_chain_order(np.r_[0, np.cumsum(lengths)], touchpoints.astype(np.int64),
                               np.asarray(converted, bool), np.asarray(journeys, np.int64))


def chains(journey: np.ndarray, touchpoint: np.ndarray, definition: Definition
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each journey's chain path, from journeys given as path steps in journey and step order (a journey's
    steps together, journeys numbered 0 … n - 1, each with at least one step): journey j's touchpoint
    indices are `touchpoints[offsets[j]:offsets[j + 1]]`; returns (offsets, touchpoints, converted)."""
    count = len(journey)
    if not count:
        return np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, bool)
    journeys = int(journey[-1]) + 1
    goal = goal_of(definition)[touchpoint]
    first = np.r_[True, journey[1:] != journey[:-1]]
    # goal steps at or before each step, within its journey
    goals_so_far = np.cumsum(goal)
    goals_so_far -= np.repeat(goals_so_far[first] - goal[first], np.diff(np.r_[np.flatnonzero(first), count]))
    kept = goals_so_far == 0
    repeat = np.r_[False, (journey[1:] == journey[:-1]) & (touchpoint[1:] == touchpoint[:-1])]
    kept &= ~repeat  # a repeat's predecessor is kept whenever it is (no goal between them)
    converted = np.bincount(journey[goal], minlength=journeys) > 0
    offsets = np.r_[0, np.cumsum(np.bincount(journey[kept], minlength=journeys))]
    return offsets, touchpoint[kept].astype(np.int64), converted


def chain_paths(journey: np.ndarray, touchpoint: np.ndarray, definition: Definition) -> ChainPaths:
    """The distinct chain paths of journeys given as path steps in journey and step order (as `chains`)."""
    offsets, kept_touchpoints, converted = chains(journey, touchpoint, definition)
    grouped = pa.table({"path": as_bytes(offsets, kept_touchpoints), "converted": converted,
                        "journey": np.arange(len(converted))}).group_by(["path", "converted"]).aggregate(
        [("journey", "min"), ("journey", "count")])  # equal (path, outcome) pairs grouped by Arrow
    first_journey = grouped.column("journey_min").to_numpy()
    lengths = np.diff(offsets)[first_journey]
    return _in_chain_order(np.r_[0, np.cumsum(lengths)],
                           kept_touchpoints[ranges(offsets[first_journey], offsets[first_journey + 1])],
                           grouped.column("converted").to_numpy(zero_copy_only=False),
                           grouped.column("journey_count").to_numpy().astype(np.int64))


def _in_chain_order(offsets: np.ndarray, touchpoints: np.ndarray, converted: np.ndarray,
                    journeys: np.ndarray) -> ChainPaths:
    """Distinct chain paths in the one order the bootstrap draws them in: by path (touchpoint indices, a prefix
    first), then outcome; so a mining run and a later what-if on the stored paths draw the same resamples."""
    order = pc.sort_indices(pa.table({"path": as_bytes(offsets, touchpoints), "converted": converted}),
                            [("path", "ascending"), ("converted", "ascending")]).to_numpy()
    lengths = np.diff(offsets)[order]
    return ChainPaths(np.r_[0, np.cumsum(lengths)].astype(np.int64),
                      touchpoints[ranges(offsets[:-1][order], offsets[1:][order])].astype(np.int64),
                      converted[order], journeys[order])


@dataclass(frozen=True)
class Layout:
    """The chain's transitions per distinct chain path, as a sparse matrix over paths, so that a vector of path
    weights (journeys, or a resample's) gives the chain's counts in one product."""

    states: int                      # transient states: (start) and every touchpoint, 1 + T
    transitions: sparse.csc_matrix   # (states × (states + 2)) cells, flattened, × paths: times taken; by path
                                     # (CSC), so a product reads the weights row by row: 6 times as fast as CSR


def _steps(paths: ChainPaths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per step of the distinct chain paths: its path, its position in it (from 0) and the path's length."""
    lengths = np.diff(paths.offsets)
    path_of_step = np.repeat(np.arange(len(paths)), lengths)
    return path_of_step, np.arange(len(path_of_step)) - paths.offsets[:-1][path_of_step], lengths[path_of_step]


def layout(paths: ChainPaths, touchpoints: int) -> Layout:
    """The transitions matrix of the distinct chain paths of a definition with `touchpoints` touchpoints."""
    states = touchpoints + 1
    width = states + 2
    path_of_step, position, _ = _steps(paths)
    state = paths.touchpoints + 1
    # each step is entered from the state before it ((start) for the first); each path ends in an absorbing state
    before = np.where(position == 0, 0, np.r_[0, state[:-1]])
    last = np.where(np.diff(paths.offsets) > 0, np.r_[state, 0][np.maximum(paths.offsets[1:] - 1, 0)], 0)
    ends = np.where(paths.converted, states, states + 1)
    # column p holds path p's steps, then its end: put in place, not sorted (a transition a path takes twice is
    # two entries, which a product adds up)
    bounds = np.r_[0, np.cumsum(np.diff(paths.offsets) + 1)]
    cells = np.empty(bounds[-1], np.int64)
    cells[np.arange(len(state)) + path_of_step] = before * width + state
    cells[bounds[1:] - 1] = last * width + ends
    return Layout(states, sparse.csc_matrix((np.ones(len(cells)), cells, bounds), shape=(states * width, len(paths))))


def credits(paths: ChainPaths, touchpoints: int) -> dict[str, np.ndarray]:
    """Per touchpoint, each heuristic's credit over the converted journeys (each gives 1 in all, over the steps
    before its goal), and `journeys`: the journeys whose chain path holds it."""
    path_of_step, position, length = _steps(paths)
    first, final = position == 0, position == length - 1
    shares = {
        "first_touch": first.astype(float),
        "last_touch": final.astype(float),
        "linear": 1.0 / np.maximum(length, 1),
        "position_based": np.select([length == 1, length == 2, first | final], [1.0, 0.5, 0.4],
                                    0.2 / np.maximum(length - 2, 1)),
    }
    converted = (paths.journeys * paths.converted)[path_of_step]
    credited = {name: np.bincount(paths.touchpoints, weights=share * converted, minlength=touchpoints)
                for name, share in shares.items()}
    held = np.sort(path_of_step * touchpoints + paths.touchpoints)  # a path holding a touchpoint twice holds it
    held = held[np.r_[True, held[1:] != held[:-1]]] if len(held) else held
    credited["journeys"] = np.bincount(held % touchpoints, weights=paths.journeys[held // touchpoints],
                                       minlength=touchpoints)
    return credited


@dataclass(frozen=True)
class Chain:
    """A fitted chain: transition counts and probabilities between states ((start), touchpoints, then
    (conversion) and (null) as the last two columns)."""

    counts: np.ndarray        # states × (states + 2)
    probability: np.ndarray   # the same, rows summing to 1 (rows of states never left: zeros)

    @classmethod
    def from_counts(cls, counts: np.ndarray) -> "Chain":
        totals = counts.sum(axis=1, keepdims=True)
        return cls(counts, np.divide(counts, totals, out=np.zeros_like(counts, dtype=float), where=totals > 0))

    @property
    def states(self) -> int:
        return self.counts.shape[0]

    def absorption(self) -> np.ndarray:
        """Per transient state: the probability of ending in (conversion)."""
        q = self.probability[:, :self.states]
        return np.linalg.solve(np.eye(self.states) - q, self.probability[:, self.states])

    def conversion(self) -> float:
        """P(conv): the probability of absorption in (conversion) from (start)."""
        return float(self.absorption()[0])

    def without_each(self) -> np.ndarray:
        """Per touchpoint (state 1 …): P(conv) when every transition into it goes to (null) instead. Removing
        state t zeroes column t of Q, a rank-one change of I - Q, so all come from one solve
        (Sherman–Morrison): P₋ₜ = x₀ - (NQ)₀ₜ xₜ / (1 + (NQ)ₜₜ), N = (I - Q)⁻¹, x = N r."""
        q = self.probability[:, :self.states]
        inverse_times = np.linalg.solve(np.eye(self.states) - q, np.c_[q, self.probability[:, self.states]])
        nq, x = inverse_times[:, :-1], inverse_times[:, -1]
        diagonal = np.diag(nq)
        return (x[0] - nq[0] * x / (1 + diagonal))[1:]

    def reach(self, targets: np.ndarray, conversion: bool) -> float:
        """The probability of ever entering one of the transient states `targets` (a mask), or (conversion)
        when `conversion`, from (start)."""
        q = self.probability[:, :self.states]
        others = ~targets
        others[0] = True  # (start) is never a target
        into = q[:, targets].sum(axis=1) + (self.probability[:, self.states] if conversion else 0.0)
        inner = q[np.ix_(others, others)]
        hit = np.linalg.solve(np.eye(int(others.sum())) - inner, into[others])
        return float(hit[0])


def fit(layout_: Layout, weights: np.ndarray) -> Chain:
    """The chain of one vector of path weights (journeys per distinct chain path)."""
    (chain,) = _fitted(layout_, weights[:, None])
    return chain


@dataclass(frozen=True)
class Figures:
    """What one fitted chain (all journeys, or one resample) says: P(conv), per touchpoint the removal
    effect, per stage the reach."""

    conversion: float
    removal_effect: np.ndarray  # per touchpoint; NaN when P(conv) is 0
    model_reach: np.ndarray     # per stage


def figures_of(definition: Definition, chain: Chain) -> Figures:
    conversion = chain.conversion()
    removal = 1 - chain.without_each() / conversion if conversion > 0 else np.full(len(definition.touchpoints), np.nan)
    return Figures(conversion, removal, stage_reach(definition, chain))


def stage_reach(definition: Definition, chain: Chain) -> np.ndarray:
    """Per stage: the model's probability of ever reaching one of its touchpoints from (start); reaching a
    goal touchpoint is ending in (conversion)."""
    reach = []
    for stage in definition.stages:
        targets = np.zeros(chain.states, bool)
        members = [t for t in definition.touchpoints if t.stage == stage.name]
        targets[[definition.touchpoints.index(t) + 1 for t in members]] = True
        reach.append(chain.reach(targets, conversion=any(t.goal for t in members)))
    return np.array(reach)


@dataclass(frozen=True)
class Twin:
    """A definition's twin: the chain paths, the chain fitted on all journeys, its figures and heuristic credits
    (per touchpoint), and the figures of each bootstrap resample."""

    paths: ChainPaths
    chain: Chain
    figures: Figures
    credits: dict[str, np.ndarray]  # per touchpoint: the heuristics' credits, and journeys
    resampled: list[Figures]


def interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The INTERVAL percentiles over resamples of `values` (one row per resample); NaN where no resample gives
    a number (or none was drawn)."""
    finite = np.isfinite(values).any(axis=0) if len(values) else np.zeros(values.shape[1:], bool)
    if not finite.any():
        return np.full(finite.shape, np.nan), np.full(finite.shape, np.nan)
    low, high = np.nanpercentile(np.where(finite, values, 0.0), INTERVAL, axis=0)
    return np.where(finite, low, np.nan), np.where(finite, high, np.nan)


def build(definition: Definition, paths: ChainPaths, resamples: int = RESAMPLES, seed: int = SEED) -> Twin:
    """Fit the chain on every journey and on `resamples` bootstrap resamples of the journeys."""
    layout_ = layout(paths, len(definition.touchpoints))
    chain = fit(layout_, paths.journeys.astype(float))
    return Twin(paths, chain, figures_of(definition, chain), credits(paths, len(definition.touchpoints)),
                [figures_of(definition, resampled) for resampled in resampled_chains(layout_, paths, resamples, seed)])


def resampled_weights(paths: ChainPaths, resamples: int, seed: int = SEED) -> Iterator[np.ndarray]:
    """Each bootstrap resample as journeys per distinct chain path: as many journeys as there are, drawn with
    replacement (numpy's default generator seeded with `seed`, the journeys in chain path order)."""
    total = int(paths.journeys.sum())
    if not total:
        return
    rng = np.random.default_rng(seed)
    path_of_journey = np.repeat(np.arange(len(paths)), paths.journeys)

    def counted(drawn: np.ndarray) -> np.ndarray:
        return np.bincount(path_of_journey[drawn], minlength=len(paths)).astype(float)

    # the draws come from one stream, in order; each resample's are looked up and counted (most of the time: a
    # random read per journey) while the next ones are drawn, on the other cores (numpy lets them run at once)
    with ThreadPoolExecutor(COUNTING_THREADS) as pool:
        counting: deque[Future] = deque()
        for _ in range(resamples):
            counting.append(pool.submit(counted, rng.integers(0, total, total)))
            if len(counting) == COUNTING_THREADS:
                yield counting.popleft().result()
        while counting:
            yield counting.popleft().result()


def resampled_chains(layout_: Layout, paths: ChainPaths, resamples: int, seed: int = SEED) -> Iterator[Chain]:
    """The chain fitted on each bootstrap resample, RESAMPLE_BATCH resamples summed in one sparse product."""
    batch = np.empty((RESAMPLE_BATCH, len(paths)))  # a resample is a row: written in one piece
    filled = 0
    for weights in resampled_weights(paths, resamples, seed):
        batch[filled] = weights
        filled += 1
        if filled == RESAMPLE_BATCH:
            yield from _fitted(layout_, np.ascontiguousarray(batch.T))  # the product reads a path's weights at once
            filled = 0
    if filled:
        yield from _fitted(layout_, np.ascontiguousarray(batch[:filled].T))


def _fitted(layout_: Layout, weights: np.ndarray) -> Iterator[Chain]:
    """The chain of each column of path weights."""
    for counts in np.asarray(layout_.transitions @ weights).T:
        yield Chain.from_counts(counts.reshape(layout_.states, layout_.states + 2))


def rows(definition: Definition, model: Twin) -> dict[str, pa.Table]:
    """The twin's tables as mining hands them to DuckDB (sql/twin/): twin_path_rows, twin_transition_rows,
    twin_touchpoint_rows (touchpoints that are not goals, by index) and twin_stage_rows."""
    names = [START_STATE] + [t.name for t in definition.touchpoints] + [CONVERSION_STATE, NULL_STATE]
    source, target = np.nonzero(model.chain.counts)
    candidates = [i for i, t in enumerate(definition.touchpoints) if not t.goal]
    removal = model.figures.removal_effect[candidates]
    resampled = np.array([figures.removal_effect[candidates] for figures in model.resampled])
    low, high = interval(resampled.reshape(len(model.resampled), len(candidates)))
    total = np.nansum(removal)
    share = removal / total if total > 0 else np.full(len(candidates), np.nan)
    converted = float(model.paths.journeys[model.paths.converted].sum())
    return {
        "twin_path_rows": pa.table({"path": model.paths.texts(definition), "converted": model.paths.converted,
                                    "journeys": model.paths.journeys}),
        "twin_transition_rows": pa.table({
            "source": [names[s] for s in source], "target": [names[t] for t in target],
            "transitions": model.chain.counts[source, target].astype(np.int64),
            "probability": model.chain.probability[source, target]}),
        "twin_touchpoint_rows": pa.table({
            "touchpoint_index": pa.array(candidates, pa.int32()),
            "journeys": model.credits["journeys"][candidates].astype(np.int64),
            "removal_effect": pa.array(removal, from_pandas=True),
            "removal_effect_low": pa.array(low, from_pandas=True),
            "removal_effect_high": pa.array(high, from_pandas=True),
            "share": pa.array(share, from_pandas=True),
            "attributed_conversions": pa.array(share * converted, from_pandas=True),
            **{name: credit[candidates] for name, credit in model.credits.items() if name != "journeys"}}),
        "twin_stage_rows": pa.table({"stage_index": pa.array(range(len(definition.stages)), pa.int32()),
                                     "model_reach": pa.array(model.figures.model_reach, from_pandas=True)}),
    }


# --- what-if --------------------------------------------------------------------------------------------

_PERCENT = r"(?P<percent>[+-]?\d+(?:\.\d+)?)\s*%"
_SCENARIOS = {
    "exit": re.compile(rf"exit\s+(?P<touchpoint>.+?)\s*=\s*{_PERCENT}"),
    "edge": re.compile(rf"edge\s+(?P<source>.+?)\s*->\s*(?P<target>.+?)\s*=\s*{_PERCENT}"),
    "remove": re.compile(r"remove\s+(?P<touchpoint>.+)"),
}


@dataclass(frozen=True)
class Change:
    """One scenario of `journeys whatif`, read against a definition: a row of the chain scaled, or a state
    removed. States are numbered as in the module docstring."""

    text: str
    kind: str           # exit, edge or remove
    source: int         # the state whose row changes (exit, edge); the state removed (remove)
    target: int = -1    # the column scaled (edge; NULL's for exit)
    factor: float = 1.0

    def apply(self, probability: np.ndarray) -> np.ndarray:
        """The chain's probabilities (states × states + 2) with this change made; rows stay sums of 1."""
        changed = probability.copy()
        if self.kind == "remove":
            changed[:, -1] += changed[:, self.source]
            changed[:, self.source] = 0.0
            return changed
        row = changed[self.source]
        before = row[self.target]
        after = min(max(before * self.factor, 0.0), 1.0)
        rest = row.sum() - before
        if rest > 0:  # the rest of the row rescaled in proportion; a row with nothing else stays as it is
            row *= (1.0 - after) / rest
            row[self.target] = after
        return changed


def parse_scenario(definition: Definition, text: str) -> Change:
    """A scenario as `journeys whatif --scenario` takes it: "exit T = x%", "edge A -> B = x%" or "remove T";
    bad usage (UsageError) naming the scenario otherwise."""
    states = len(definition.touchpoints) + 1
    index = {t.name: i + 1 for i, t in enumerate(definition.touchpoints)}
    goals = {t.name for t in definition.touchpoints if t.goal}

    def touchpoint(name: str, *, role: str) -> int:
        if name in goals:
            if role == "target":
                return states  # moving into a goal is converting
            raise UsageError(f"scenario {text!r}: {name} is a goal, which ends the twin's journeys; "
                             "name a touchpoint before it")
        if name == START_STATE and role == "source":
            return 0
        if name in (CONVERSION_STATE, NULL_STATE) and role == "target":
            return states if name == CONVERSION_STATE else states + 1
        if name not in index:
            raise UsageError(f"scenario {text!r}: no touchpoint {name!r} in {definition.path}"
                             + did_you_mean(name, index))
        return index[name]

    for kind, pattern in _SCENARIOS.items():
        found = pattern.fullmatch(text.strip())
        if not found:
            continue
        parts = found.groupdict()
        factor = 1.0 + float(parts["percent"]) / 100 if "percent" in parts else 1.0
        if kind == "exit":
            return Change(text, kind, touchpoint(parts["touchpoint"], role="state"), states + 1, factor)
        if kind == "edge":
            return Change(text, kind, touchpoint(parts["source"], role="source"),
                          touchpoint(parts["target"], role="target"), factor)
        return Change(text, kind, touchpoint(parts["touchpoint"], role="state"))
    raise UsageError(f"scenario {text!r}: not understood; write \"exit T = -20%\", \"edge A -> B = +10%\" "
                     "or \"remove T\"")


@dataclass(frozen=True)
class WhatIf:
    """A scenario's effect: per stage, then (conversion), the baseline, the prediction and its interval."""

    stages: list[str]
    baseline: np.ndarray
    predicted: np.ndarray
    low: np.ndarray
    high: np.ndarray


def what_if(definition: Definition, paths: ChainPaths, changes: Sequence[Change],
            resamples: int = RESAMPLES, seed: int = SEED) -> WhatIf:
    """Stage reach and P(conv) of the chain fitted on `paths`, before and after the changes (applied together,
    in order), the prediction also on each bootstrap resample (the same draws as the mining run's)."""
    layout_ = layout(paths, len(definition.touchpoints))

    def figures(chain: Chain) -> np.ndarray:
        return np.r_[stage_reach(definition, chain), chain.conversion()]

    def changed(chain: Chain) -> Chain:
        probability = chain.probability
        for change in changes:
            probability = change.apply(probability)
        return Chain(chain.counts, probability)

    base = fit(layout_, paths.journeys.astype(float))
    predicted = [figures(changed(chain)) for chain in resampled_chains(layout_, paths, resamples, seed)]
    low, high = interval(np.array(predicted).reshape(len(predicted), len(definition.stages) + 1))
    return WhatIf([s.name for s in definition.stages] + [CONVERSION_STATE], figures(base), figures(changed(base)),
                  low, high)


def fewer_exits(definition: Definition, paths: ChainPaths, touchpoints: Sequence[int],
                percent: float) -> tuple[float, np.ndarray]:
    """P(conv) of the chain fitted on `paths`, and P(conv) when the exit of each of `touchpoints` (indices, not
    goals), one at a time, is `percent` smaller: what `journeys whatif --scenario "exit T = -percent%"` gives as
    baseline and prediction."""
    chain = fit(layout(paths, len(definition.touchpoints)), paths.journeys.astype(float))
    states = len(definition.touchpoints) + 1
    return chain.conversion(), np.array([
        Chain(chain.counts, Change(f"exit {definition.touchpoints[t].name} = -{percent}%", "exit", t + 1, states + 1,
                                   1 - percent / 100).apply(chain.probability)).conversion() for t in touchpoints])


def stored_paths(con: duckdb.DuckDBPyConnection, definition: Definition) -> ChainPaths:
    """The chain paths the definition's latest mining run kept (twin_paths; see mining.require_mined)."""
    stored = sql.arrow(con, "twin/chain_paths", {"definition": definition.name})
    return ChainPaths.from_texts(definition, *(stored.column(c).to_numpy(zero_copy_only=False)
                                               for c in ("path", "converted", "journeys")))


WHAT_IF_COLUMNS = ("definition", "scenario", "stage", "baseline", "predicted", "change", "predicted_low",
                   "predicted_high")


def what_if_rows(definition: str, scenario: str, result: WhatIf) -> list[dict]:
    """whatif.csv's rows: one per stage, then (conversion); empty cells as None."""
    def number(value: float) -> float | None:
        return None if np.isnan(value) else float(value)

    return [dict(zip(WHAT_IF_COLUMNS, (definition, scenario, stage, number(base), number(new), number(new - base),
                                       number(low), number(high))))
            for stage, base, new, low, high in zip(result.stages, result.baseline, result.predicted, result.low,
                                                   result.high)]


def write_what_if(path: Path, definition: str, scenario: str, result: WhatIf) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = pa.Table.from_pylist(what_if_rows(definition, scenario, result), schema=pa.schema(
        [(name, pa.string()) for name in WHAT_IF_COLUMNS[:3]] + [(name, pa.float64()) for name in WHAT_IF_COLUMNS[3:]]))
    pa_csv.write_csv(spreadsheet_safe(rows), path)


def what_if_text(definition: str, scenario: str, journeys: int, result: WhatIf) -> str:
    """The terminal's table: per stage and (conversion), the baseline, the prediction and its interval."""
    width = max(len(stage) for stage in result.stages)

    def percent(value: float) -> str:
        return "—" if np.isnan(value) else f"{100 * value:.2f} %"

    lines = [f"What if {scenario} ({definition}: {journeys:,} journeys; {RESAMPLES} resamples)",
             f"{'stage':<{width}}  {'baseline':>9}  {'predicted':>9}  {'change':>10}  95 % interval"]
    for stage, base, new, low, high in zip(result.stages, result.baseline, result.predicted, result.low, result.high):
        lines.append(f"{stage:<{width}}  {percent(base):>9}  {percent(new):>9}  {100 * (new - base):>+7.2f} pp  "
                     f"{percent(low)} to {percent(high)}")
    return "\n".join(lines) + "\n"
