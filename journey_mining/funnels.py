"""The fold of sequential and strict funnels, over every person at once.

A person's funnel state changes with each of their events in reading order, so the fold is sequential
per person; it is run for all persons together, one event position at a time (every person's first
event, then every person's second, ...), each step a few numpy operations over the persons that have
an event at that position. The state, per person and step k: the attempt held at step k (an id, its
start and the times of the steps it reached), the next attempt id, and the step times of the first
attempt that reached the furthest step so far.
"""

import numpy as np

# Persons folded at once: the held attempts' step times take persons × steps × steps integers.
STATE_BYTES = 256 * 2**20


def step_times(person: np.ndarray, at: np.ndarray, touchpoint: np.ndarray, step_table: np.ndarray, *, strict: bool,
               window_us: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The step times that count for each person: of the first attempt that reached the person's furthest
    step.

    The events come in reading order, a person's events together: `person` (any integer key), `at`
    (microseconds) and `touchpoint` (a row of `step_table`, whose column k - 1 says whether the
    touchpoint is at step k). Returns the persons in their order of first appearance, the number of
    steps each reached (0: none) and their step times (rows of one column per step, valid up to the
    number reached).
    """
    steps = step_table.shape[1]
    count = len(person)
    if count == 0:
        return person[:0], np.zeros(0, np.int64), np.zeros((0, steps), np.int64)
    first = np.flatnonzero(np.r_[True, person[1:] != person[:-1]])
    group = np.repeat(np.arange(len(first)), np.diff(np.r_[first, count]))
    position = np.arange(count)
    # Before a person's first event of step 1 nothing is held, so no event changes anything; after the
    # last event with a later step, events only start or drop attempts that nothing advances, and the
    # first event of step 1 has already put the person at step 1.
    start = np.minimum.reduceat(np.where(step_table[touchpoint, 0], position, count), first)
    last = np.maximum.reduceat(np.where(step_table[touchpoint, 1:].any(axis=1), position, -1), first)
    kept = (position >= start[group]) & (position <= np.maximum(start, last)[group])
    reached = np.zeros(len(first), np.int64)
    times = np.zeros((len(first), steps), np.int64)
    chunk = max(1, STATE_BYTES // (8 * steps * (steps + 3)))
    kept_at = np.flatnonzero(kept)
    kept_group = group[kept_at]
    bounds = np.searchsorted(kept_group, np.arange(0, len(first) + chunk, chunk))
    for low, high in zip(bounds[:-1], bounds[1:]):
        rows = kept_at[low:high]
        if len(rows):
            _fold(group[rows], at[rows], step_table[touchpoint[rows]], strict, window_us, reached, times)
    return person[first], reached, times


def _fold(group, at, fills_of, strict, window_us, reached, times):
    """Fold the events of a run of whole persons (groups `group`, in reading order; `fills_of`: the steps of
    each event's touchpoint) into `reached` and `times`.

    The persons are folded in order of their events, most first, so that the persons with an event at
    position r are the first ones: the state of those at each position is a slice of the state arrays,
    updated in place."""
    steps = fills_of.shape[1]
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[first, len(group)])
    order = np.argsort(-sizes, kind="stable")  # persons, most events first
    first, sizes = first[order], sizes[order]
    persons = len(order)
    active = np.searchsorted(-sizes, -np.arange(sizes[0]))  # per position: the persons with an event there
    held_id = np.zeros((persons, steps), np.int64)  # 0: no attempt held at the step
    held_start = np.zeros((persons, steps), np.int64)
    held_reached = np.zeros((persons, steps), np.int64)  # the number of steps the held attempt reached
    held_times = np.zeros((persons, steps, steps), np.int64)
    next_id = np.ones(persons, np.int64)
    best_reached = np.zeros(persons, np.int64)
    best_times = np.zeros((persons, steps), np.int64)
    for position, count in enumerate(active):
        events = first[:count] + position
        t, at_steps = at[events], fills_of[events]
        ids, starts, counts, step_times_ = held_id[:count], held_start[:count], held_reached[:count], held_times[:count]
        # the steps the event fills, judged against the attempts held before it
        fills = np.zeros((count, steps), bool)
        fills[:, 0] = at_steps[:, 0]
        for k in range(1, steps):  # step k + 1 advances the attempt held at step k
            fills[:, k] = at_steps[:, k] & (ids[:, k - 1] > 0) & (counts[:, k - 1] == k)
            if window_us is not None:
                fills[:, k] &= t - starts[:, k - 1] <= window_us
        advanced = np.where(fills[:, 1:], ids[:, :-1], 0)  # ids of the attempts the event advanced
        rows = np.arange(count)
        # the held attempts updated in place, the last step first: step k + 1 takes the attempt of step k
        # before step k itself changes
        for k in reversed(range(steps)):
            moving = fills[:, k]
            # an attempt held here that the event advanced at a later step stays here, advanced too
            kept = ~moving & (ids[:, k] > 0) & (advanced == ids[:, k:k + 1]).any(axis=1)
            step_times_[rows[kept], k, counts[kept, k]] = t[kept]
            counts[kept, k] += 1
            if k == 0:
                ids[moving, 0] = next_id[:count][moving]
                starts[moving, 0] = t[moving]
                counts[moving, 0] = 1
                step_times_[moving, 0, 0] = t[moving]
            else:
                ids[moving, k] = ids[moving, k - 1]
                starts[moving, k] = starts[moving, k - 1]
                counts[moving, k] = k + 1
                step_times_[moving, k] = step_times_[moving, k - 1]
                step_times_[moving, k, k] = t[moving]
            if strict:
                dropped = ~moving & ~kept
                ids[dropped, k] = 0
                counts[dropped, k] = 0
        next_id[:count] += fills[:, 0]
        # the furthest step the event filled, against the furthest reached so far
        furthest = np.where(fills.any(axis=1), steps - np.argmax(fills[:, ::-1], axis=1), 0)
        better = np.flatnonzero(furthest > best_reached[:count])
        best_reached[better] = furthest[better]
        best_times[better] = step_times_[better, furthest[better] - 1]
    reached[group[first]] = best_reached
    times[group[first]] = best_times
