"""Benchmark: how often the twin's 95 % intervals hold the truth, on journeys walked on a known chain.

For each seed, journeys are walked on a random first-order chain (its own seed, --chain-seed) over
--touchpoints touchpoints ending in a conversion or not; the twin is fitted on them with its 200
bootstrap resamples, and each interval is checked against the true chain's value: every touchpoint's
removal effect, and the conversion a what-if predicts (the first touchpoint's exits cut by 30 %). Issue
13's bar: each figure within its interval in at least 90 of 100 seeds. Writes the section
"## The twin's intervals" of the report (`make bench` keeps it as it is).

    python benchmarks/twin.py --seeds 100 --doc docs/performance.md
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from conformance import write_section  # beside this script
from journey_mining import definition, twin

SECTION = "## The twin's intervals"
SCENARIO = "exit T1 = -30%"


def true_chain(touchpoints: int, seed: int) -> np.ndarray:
    """Rows (start), T1 … Tn; columns T1 … Tn, (conversion), (null): every touchpoint converts and leaves
    with some probability, (start) never ends a journey at once."""
    rng = np.random.default_rng(seed)
    chain = rng.dirichlet(np.ones(touchpoints + 2), size=touchpoints + 1)
    chain[:, :touchpoints] *= 1 - np.eye(touchpoints + 1, touchpoints, k=-1)  # no touchpoint follows itself
    chain[:, touchpoints:] = np.maximum(chain[:, touchpoints:], 0.05)
    chain[0, touchpoints:] = 0.0
    return chain / chain.sum(axis=1, keepdims=True)


def walked(chain: np.ndarray, journeys: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Path steps (journey, touchpoint index) of journeys walked on `chain`, a conversion as the goal (index n)."""
    touchpoints = chain.shape[1] - 2
    journey, touchpoint = [], []
    for number in range(journeys):
        state = 0
        while True:
            move = rng.choice(touchpoints + 2, p=chain[state])
            if move >= touchpoints:
                if move == touchpoints:
                    journey.append(number)
                    touchpoint.append(touchpoints)
                break
            journey.append(number)
            touchpoint.append(move)
            state = move + 1
    return np.array(journey), np.array(touchpoint)


def model_definition(touchpoints: int, folder: Path) -> definition.Definition:
    lines = ["name: simulated", "stages:", "  - name: Touch", "    touchpoints:"]
    lines += [f"      - {{name: T{i + 1}, match: {{event: t{i + 1}}}}}" for i in range(touchpoints)]
    lines += ["  - name: Buy", "    touchpoints:", "      - {name: Goal, match: {event: goal}, goal: true}"]
    path = folder / "simulated.yaml"
    path.write_text("\n".join(lines) + "\n")
    return definition.load(path)


def measure(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        journey_definition = model_definition(args.touchpoints, Path(folder))
    chain = true_chain(args.touchpoints, args.chain_seed)
    # states: (start), T1 … Tn, the goal (a touchpoint, never entered: converting is), then (conversion), (null)
    counts = np.zeros((args.touchpoints + 2, args.touchpoints + 4))
    counts[:args.touchpoints + 1, list(range(1, args.touchpoints + 1)) + [-2, -1]] = chain
    truth = twin.Chain.from_counts(counts)
    change = twin.parse_scenario(journey_definition, SCENARIO)
    true_removal = (1 - truth.without_each() / truth.conversion())[:args.touchpoints]
    true_what_if = twin.Chain(counts, change.apply(truth.probability)).conversion()
    held = np.zeros(args.touchpoints + 1, int)
    started = time.perf_counter()
    for seed in range(args.seeds):
        paths = twin.chain_paths(*walked(chain, args.journeys, np.random.default_rng(seed)), journey_definition)
        model = twin.build(journey_definition, paths)
        low, high = twin.interval(np.array([f.removal_effect[:args.touchpoints] for f in model.resampled]))
        held[:-1] += (low <= true_removal) & (true_removal <= high)
        predicted = twin.what_if(journey_definition, paths, [change])
        held[-1] += predicted.low[-1] <= true_what_if <= predicted.high[-1]
    return {"held": held.tolist(), "seconds": time.perf_counter() - started, "true_removal": true_removal.tolist(),
            "true_what_if": true_what_if}


def section(args: argparse.Namespace, measured: dict) -> str:
    held = measured["held"]
    rows = [f"| removal effect of T{i + 1} | {value:.4f} | {count} of {args.seeds} |"
            for i, (value, count) in enumerate(zip(measured["true_removal"], held))]
    rows.append(f"| conversion after `{SCENARIO}` | {measured['true_what_if']:.4f} | {held[-1]} of {args.seeds} |")
    verdict = ("not measured (fewer than 100 seeds)" if args.seeds < 100
               else "met" if min(held) >= 0.9 * args.seeds else "not met")
    return "\n".join([
        SECTION, "",
        "Written by this command (`make bench` keeps the section as it is):", "",
        "    python benchmarks/twin.py " + " ".join(sys.argv[1:]), "",
        f"Journeys walked on a random first-order chain over {args.touchpoints} touchpoints (chain seed "
        f"{args.chain_seed}), {args.journeys:,} per seed, {args.seeds} seeds; the twin fitted on each with "
        f"{twin.RESAMPLES} bootstrap resamples; how often each 95 % interval holds the true chain's value "
        f"({measured['seconds']:.0f} s in all).", "",
        "| figure | true value | seeds whose interval holds it |", "|---|---:|---:|", *rows, "",
        f"Issue 13's bar, each figure within its interval in at least 90 of 100 seeds: "
        f"{verdict} (fewest: {min(held)} of {args.seeds}).", ""])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--journeys", type=int, default=2000, help="journeys walked per seed (default %(default)s)")
    parser.add_argument("--touchpoints", type=int, default=5)
    parser.add_argument("--chain-seed", type=int, default=11)
    parser.add_argument("--doc", type=Path, help=f"also write the figures as the section {SECTION!r} of this report")
    args = parser.parse_args()
    measured = measure(args)
    text = section(args, measured)
    print(text)
    if args.doc:
        write_section(args.doc, SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
