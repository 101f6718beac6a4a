"""Benchmark: seconds and peak memory of finding personas (journey_mining.personas.find) on planted data.

Persons fall into four planted groups of unequal size over 16 touchpoints: each group prefers three
touchpoints of its own, all share four more, and the rest are noise. A person has about 9 path steps, cut
into journeys at random. For each size it prints the seconds `find` takes, the process's resident memory
before it and at its peak during it (Linux: the peak is reset before the call), the k found and the
adjusted Rand index against the planted groups. --kmeans-up-to moves the module's switch from KMeans to
the mini-batch route, to time both routes at one size (0: always mini batches; a large number: never).

    python benchmarks/personas.py --persons 100000,1000000
    python benchmarks/personas.py --persons 20000,50000,100000 --kmeans-up-to 1000000000
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from journey_mining import personas

TOUCHPOINTS = 16
GROUP_SHARES = (0.4, 0.3, 0.2, 0.1)
OWN, SHARED = 3, 4  # each group's own touchpoints (0 … 11), then the shared ones (12 … 15)


def preferences() -> np.ndarray:
    """Group × touchpoint step probabilities: 60 % own touchpoints, 30 % shared ones, 10 % the others."""
    groups = len(GROUP_SHARES)
    weights = np.full((groups, TOUCHPOINTS), 0.10 / (TOUCHPOINTS - OWN - SHARED))
    weights[:, groups * OWN:] = 0.30 / SHARED
    for group in range(groups):
        weights[group, group * OWN:(group + 1) * OWN] = 0.60 / OWN
    return weights


def planted(persons: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Path steps (person, journey, touchpoint) of `persons` persons, and each person's planted group."""
    rng = np.random.default_rng(seed)
    group = rng.choice(len(GROUP_SHARES), size=persons, p=GROUP_SHARES)
    person = np.repeat(np.arange(persons), 1 + rng.poisson(8, size=persons))
    first_step = np.r_[True, person[1:] != person[:-1]]
    journey = np.cumsum(first_step | (rng.random(len(person)) < 0.3)) - 1
    cumulative = np.cumsum(preferences(), axis=1)
    draw = rng.random(len(person))
    touchpoint = np.empty(len(person), np.int64)
    step_group = group[person]
    for g in range(len(GROUP_SHARES)):
        at = step_group == g
        touchpoint[at] = np.minimum(np.searchsorted(cumulative[g], draw[at], side="right"), TOUCHPOINTS - 1)
    return person, journey, touchpoint, group


def resident_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kmeans-up-to", type=int, default=personas.KMEANS_UP_TO,
                        help=f"persons up to which KMeans runs on all of them (default {personas.KMEANS_UP_TO:,})")
    args = parser.parse_args()
    personas.KMEANS_UP_TO = args.kmeans_up_to
    names = [f"T{t + 1}" for t in range(TOUCHPOINTS)]
    print(f"KMeans on all persons up to {args.kmeans_up_to:,} persons; beyond, the mini-batch route")
    print("| persons | steps | seconds | RSS before (MiB) | peak RSS during (MiB) | k | silhouette | ARI |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for persons in (int(size) for size in args.persons.split(",")):
        person, journey, touchpoint, group = planted(persons, args.seed)
        before = resident_mib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here
        started = time.perf_counter()
        found = personas.find(person, journey, touchpoint, names)
        seconds = time.perf_counter() - started
        peak = resident_mib("VmHWM")
        k, silhouette, ari = ((found.k, f"{found.silhouette:.3f}", f"{adjusted_rand_score(group, found.of_person):.3f}")
                              if found else ("-", "-", "-"))
        print(f"| {persons:,} | {len(person):,} | {seconds:.1f} | {before:,.0f} | {peak:,.0f} | {k} | {silhouette} "
              f"| {ari} |", flush=True)


if __name__ == "__main__":
    main()
