"""Journeys and their paths from a person's mapped events in reading order: the journey cut, the path
steps and the directly-follows transitions between them, with each transition's conformance kind.

These are sequential rules (each event is judged against the one before it), so they run over arrays
that DuckDB sorted once, a person's events together: a handful of numpy operations over all events
at once instead of SQL windows that sort again. Everything is an integer: persons are keys, touchpoints
are indexes into the definition, times are microseconds since the epoch.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journey_mining.definition import PATH_JOIN, Definition

# Transition kinds, as stored (the names of SPEC section 5), and their codes below.
KINDS = ("expected", "skip", "backward", "entry")
EXPECTED, SKIP, BACKWARD, ENTRY = range(4)
START = END = -1  # the touchpoint index of (start) as a source and of (end) as a target
UNTIMED = -1  # the microseconds of a transition from (start) or into (end), which has none (steps are 0 or more apart)


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted. Not np.unique: numpy 2.4 hashes there, 100 times as long as a sort on ten
    million integers (12 s against 0.1 s measured here)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions starts[i] … ends[i] - 1 of every range i, one range after another."""
    lengths = ends - starts
    return np.arange(lengths.sum()) + np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)


def texts(offsets: np.ndarray, touchpoints: np.ndarray, names: list[str]) -> pa.Array:
    """Each path (touchpoint indices touchpoints[offsets[p]:offsets[p + 1]]) as its text, the touchpoints'
    names joined by PATH_JOIN as in every export ('' for no step)."""
    return pc.binary_join(pa.ListArray.from_arrays(offsets.astype(np.int32), pa.array(names, pa.string()).take(
        touchpoints)), PATH_JOIN)


def coded_texts(offsets: np.ndarray, touchpoints: np.ndarray, names: list[str]) -> pa.DictionaryArray:
    """The paths' texts as a dictionary array: the text of each distinct path is built once."""
    coded = as_bytes(offsets, touchpoints).dictionary_encode()
    found = coded.dictionary
    _, bounds, data = found.buffers()  # a fresh dictionary: no offset into its buffers
    return pa.DictionaryArray.from_arrays(coded.indices, texts(
        np.frombuffer(bounds, np.int64)[:len(found) + 1] // 2, np.frombuffer(data, ">u2").astype(np.int64), names))


def as_bytes(offsets: np.ndarray, touchpoints: np.ndarray) -> pa.Array:
    """Each path as bytes, two a step (big-endian touchpoint indices): byte order is step order, a prefix first."""
    return pa.Array.from_buffers(pa.large_binary(), len(offsets) - 1, [
        None, pa.py_buffer((2 * (offsets - offsets[0])).astype(np.int64)),
        pa.py_buffer(touchpoints[offsets[0]:offsets[-1]].astype(">u2").tobytes())])


def stage_of(definition: Definition) -> np.ndarray:
    """Per touchpoint index: the index of its stage."""
    return np.array([t.stage_index for t in definition.touchpoints], np.int32)


def goal_of(definition: Definition) -> np.ndarray:
    """Per touchpoint index: whether it is a goal."""
    return np.array([t.goal for t in definition.touchpoints], bool)


def edge_kinds(definition: Definition) -> np.ndarray:
    """The conformance kind of every transition between two touchpoints, [source, target]: expected
    when the target is in the source's stage or the next one, or the pair is in `allowed`; a skip when
    it lies further on; backward when it lies before."""
    stage = stage_of(definition)
    index = {t.name: i for i, t in enumerate(definition.touchpoints)}
    kinds = np.where(stage[None, :] > stage[:, None] + 1, SKIP,
                     np.where(stage[None, :] < stage[:, None], BACKWARD, EXPECTED))
    for source, target in definition.allowed:
        kinds[index[source], index[target]] = EXPECTED
    return kinds


def entry_kinds(definition: Definition) -> np.ndarray:
    """The kind of (start) -> touchpoint: expected into the first stage, else an entry."""
    return np.array([EXPECTED if t.stage_index == 0 else ENTRY for t in definition.touchpoints])


@dataclass(frozen=True)
class Journeys:
    """The journeys cut from the events of some persons, numbered 0, 1, … in reading order."""

    of_event: np.ndarray      # per event: its journey
    starts_step: np.ndarray   # per event: whether it starts a path step
    person: np.ndarray        # per journey: the person's key
    number: np.ndarray        # per journey: 1, 2, … within the person
    start_at: np.ndarray      # per journey: its first event's time
    end_at: np.ndarray        # per journey: its last event's time
    steps: np.ndarray         # per journey: the number of path steps
    first_step: np.ndarray    # per journey: the index of its first step in the step arrays


def cut(person: np.ndarray, at: np.ndarray, touchpoint: np.ndarray, definition: Definition) -> Journeys:
    """Cut the events (in reading order: by person, time, event_id, source) into journeys and steps.

    A journey starts at a person's first event, after a gap longer than the inactivity, and, with
    end_on_goal, after a goal event. An event starts a path step when it starts a journey, when
    repeats are not collapsed, or when its touchpoint differs from the event before.
    """
    count = len(person)
    goal = goal_of(definition)
    new_person = np.r_[True, person[1:] != person[:-1]] if count else np.zeros(0, bool)
    starts = new_person.copy()
    starts[1:] |= at[1:] - at[:-1] > definition.cut.inactivity_s * 1_000_000
    if definition.cut.end_on_goal:
        starts[1:] |= goal[touchpoint[:-1]]
    starts_step = starts.copy()
    if definition.cut.collapse_repeats:
        starts_step[1:] |= touchpoint[1:] != touchpoint[:-1]
    else:
        starts_step[:] = True
    of_event = np.cumsum(starts) - 1
    first_event = np.flatnonzero(starts)
    person_first_journey = np.maximum.accumulate(np.where(new_person, of_event, 0))
    steps = np.bincount(of_event[starts_step], minlength=len(first_event))
    return Journeys(
        of_event=of_event, starts_step=starts_step, person=person[first_event],
        number=(of_event - person_first_journey + 1)[first_event], start_at=at[first_event],
        end_at=at[np.r_[first_event[1:], count] - 1] if count else at[:0],
        steps=steps, first_step=np.r_[0, np.cumsum(steps)[:-1]] if count else steps)


@dataclass(frozen=True)
class Transitions:
    """The directly-follows pairs of journeys' paths, one row per pair: (start) -> first step and step ->
    next step (one per step, as its target), then last step -> (end) (one per journey)."""

    journey: np.ndarray
    source: np.ndarray   # touchpoint index; START for (start)
    target: np.ndarray   # touchpoint index; END for (end)
    micros: np.ndarray   # microseconds between the two steps; UNTIMED from (start) and into (end)
    kind: np.ndarray     # code into KINDS


def transitions(journey: np.ndarray, touchpoint: np.ndarray, at: np.ndarray, definition: Definition) -> Transitions:
    """The transitions of paths given as steps in journey and step order (a journey's steps together)."""
    count, touchpoints = len(journey), len(definition.touchpoints)
    first = np.ones(count, bool)
    np.not_equal(journey[1:], journey[:-1], out=first[1:])
    ends = np.r_[np.flatnonzero(first[1:]), count - 1] if count else np.zeros(0, np.int64)
    # each step is the target of one pair (from the step before, or from (start)), and each last step
    # is also the source of a pair into (end)
    source = np.empty(count + len(ends), np.int32)
    source[1:count] = touchpoint[:-1]
    source[:count][first] = START
    source[count:] = touchpoint[ends]
    target = np.empty_like(source)
    target[:count] = touchpoint
    target[count:] = END
    micros = np.full(len(source), UNTIMED, np.int64)
    np.subtract(at[1:], at[:-1], out=micros[1:count])
    micros[:count][first] = UNTIMED
    return Transitions(journey=np.r_[journey, journey[ends]], source=source, target=target, micros=micros,
                       kind=edge_kind_codes(definition)[edge_codes_of(source, target, touchpoints)])


def edge_codes(moves: Transitions, touchpoints: int) -> np.ndarray:
    """Per transition, its edge as one integer (edge_codes_of)."""
    return edge_codes_of(moves.source, moves.target, touchpoints)


def edge_codes_of(source: np.ndarray, target: np.ndarray, touchpoints: int) -> np.ndarray:
    """Edges as integers: (source + 1) * (touchpoints + 1) + target + 1, so (start) is source 0 and (end)
    target 0."""
    return (source + 1) * (touchpoints + 1) + target + 1


def edge_kind_codes(definition: Definition) -> np.ndarray:
    """The kind of every edge, by edge code (edge_codes_of): (start) -> touchpoint as entry_kinds says,
    touchpoint -> touchpoint as edge_kinds says, touchpoint -> (end) expected."""
    touchpoints = len(definition.touchpoints)
    kinds = np.full((touchpoints + 1, touchpoints + 1), EXPECTED, np.int8)
    kinds[0, 1:] = entry_kinds(definition)
    kinds[1:, 1:] = edge_kinds(definition)
    return kinds.ravel()


def first_on_edge(moves: Transitions, touchpoints: int) -> np.ndarray:
    """Per transition, whether it is its journey's first on its edge: an edge's distinct journeys are the
    count of these."""
    edges = (touchpoints + 1) ** 2
    narrow = len(moves.journey) == 0 or (int(moves.journey.max()) + 1) * edges < 2 ** 31
    key = moves.journey.astype(np.int32 if narrow else np.int64) * edges + edge_codes(moves, touchpoints)
    order = np.argsort(key, kind="stable")  # equal keys keep their order: the first is first
    ordered = key[order]
    first = np.zeros(len(key), bool)
    if len(key):
        first[order[np.r_[True, ordered[1:] != ordered[:-1]]]] = True
    return first


def edge_journeys(moves: Transitions, touchpoints: int) -> np.ndarray:
    """Per edge code, the number of distinct journeys that take it at least once."""
    edges = (touchpoints + 1) ** 2
    narrow = len(moves.journey) == 0 or (int(moves.journey.max()) + 1) * edges < 2 ** 31
    key = moves.journey.astype(np.int32 if narrow else np.int64) * edges + edge_codes(moves, touchpoints)
    return np.bincount(distinct(key) % edges, minlength=edges)


def conforming(journeys: int, moves: Transitions) -> np.ndarray:
    """Per journey 0 … journeys - 1: whether every transition of its path is expected."""
    return np.bincount(moves.journey[moves.kind != EXPECTED], minlength=journeys) == 0
