"""Funnels (SPEC section 5): hand-worked cases for each order, and random event sets against a plain
Python reading of the SPEC's text (attempt objects, held per step) written here."""

import json
import random
import statistics
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from journey_mining import db, definition, identity, ingest, mining
from journey_mining import funnels as fold

START = datetime(2026, 9, 1, tzinfo=timezone.utc)
TOUCHPOINTS = {"A": "a", "B": "b", "C": "c", "X": "x"}  # touchpoint -> event name; X is in no step

DEFINITION = """\
name: funnels
stages:
  - name: One
    touchpoints:
      - {{name: A, match: {{event: a}}}}
      - {{name: B, match: {{event: b}}}}
      - {{name: C, match: {{event: c}}, goal: true}}
      - {{name: X, match: {{event: x}}}}
funnels:
{funnels}
"""


def run_funnels(tmp_path, people: dict[str, list[tuple[int, str]]], funnels: list[dict]) -> dict:
    """Mine people's events ({person: [(seconds after START, touchpoint)]}); rows by funnel name."""
    rows = []
    for person, events in people.items():
        for number, (seconds, touchpoint) in enumerate(events):
            at = START + timedelta(seconds=seconds)
            rows.append({"event_id": f"{person}-{number:04d}", "anonymous_id": person,
                         "timestamp": at.isoformat().replace("+00:00", "Z"), "event": TOUCHPOINTS[touchpoint]})
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    funnel_yaml = "".join(
        f"  - name: {f['name']}\n    steps: [{', '.join(f['steps'])}]\n    order: {f['order']}\n"
        + (f"    window: {f['window']}s\n" if f.get("window") is not None else "")
        for f in funnels)
    (tmp_path / "funnels.yaml").write_text(DEFINITION.format(funnels=funnel_yaml))
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "clickstream", [tmp_path / "events.jsonl"])
    identity.build_persons(con)
    mining.mine(con, definition.load(tmp_path / "funnels.yaml"))
    result = {}
    for name, step, persons, from_start, from_previous, mean_s, median_s in con.execute(
            "select funnel, step, persons, conversion_rate_from_start, conversion_rate_from_previous, mean_s, "
            "median_s from funnels order by funnel, step").fetchall():
        result.setdefault(name, []).append((step, persons, from_start, from_previous, mean_s, median_s))
    con.close()
    return result


def test_sequential_funnel_worked_by_hand(tmp_path):
    people = {
        # A at 0, A at 50 (replaces the held attempt), B at 60 advances the attempt of 50: 10 s
        "p1": [(0, "A"), (50, "A"), (60, "B")],
        # A, then C before B (C cannot advance: nothing held at B), then B, then C: all three steps
        "p2": [(0, "A"), (10, "C"), (20, "B"), (50, "C")],
        # B alone never starts an attempt
        "p3": [(0, "B"), (5, "C")],
        # the window ends exactly on step C (100 s after the start): inclusive, so it counts
        "p4": [(0, "A"), (40, "B"), (100, "C")],
        # one second too late for C
        "p5": [(0, "A"), (40, "B"), (101, "C")],
    }
    rows = run_funnels(tmp_path, people, [{"name": "abc", "steps": ["A", "B", "C"], "order": "sequential",
                                           "window": 100}])["abc"]
    # step 1: p1 p2 p4 p5 = 4; step 2: the same 4; step 3: p2 and p4 = 2
    # A->B seconds: p1 10, p2 20, p4 40, p5 40 -> mean 27.5, median 30; B->C: p2 30, p4 60 -> mean 45, median 45
    assert rows == [(1, 4, 1.0, 1.0, None, None), (2, 4, 1.0, 1.0, 27.5, 30.0), (3, 2, 0.5, 0.5, 45.0, 45.0)]


def test_strict_funnel_drops_an_attempt_at_any_other_mapped_event(tmp_path):
    people = {
        "p1": [(0, "A"), (10, "B"), (20, "C")],  # all three
        "p2": [(0, "A"), (5, "X"), (10, "B"), (20, "C")],  # X (mapped, in no step) drops the attempt: step 1
        "p3": [(0, "A"), (10, "A"), (20, "B"), (30, "C")],  # the second A restarts: A(10) B C, 10 s each
        "p4": [(0, "A"), (10, "B"), (15, "B"), (20, "C")],  # the second B does not advance: dropped at 15
    }
    rows = run_funnels(tmp_path, people, [{"name": "abc", "steps": ["A", "B", "C"], "order": "strict"}])["abc"]
    # step 1: 4; step 2: p1 p3 p4 = 3 (A->B: 10, 10, 10); step 3: p1 p3 = 2 (B->C: 10, 10)
    assert rows == [(1, 4, 1.0, 1.0, None, None), (2, 3, 0.75, 0.75, 10.0, 10.0),
                    (3, 2, 0.5, 2 / 3, 10.0, 10.0)]


def test_any_order_funnel_counts_distinct_steps_within_the_window(tmp_path):
    people = {
        "p1": [(0, "C"), (10, "A"), (20, "B")],  # level 3 from C at 0: times 0, 10, 20
        "p2": [(0, "B"), (200, "A")],  # window 100: each start reaches level 1 only
        "p3": [(0, "A"), (50, "A"), (100, "C")],  # start 0: A and C (100 s, inclusive): level 2, 100 s apart
    }
    rows = run_funnels(tmp_path, people, [{"name": "abc", "steps": ["A", "B", "C"], "order": "any",
                                           "window": 100}])["abc"]
    # step 1: 3; step 2: p1, p3 = 2 (gaps 10 and 100: mean 55, median 55); step 3: p1 = 1 (gap 10)
    assert rows == [(1, 3, 1.0, 1.0, None, None), (2, 2, 2 / 3, 2 / 3, 55.0, 55.0),
                    (3, 1, 1 / 3, 0.5, 10.0, 10.0)]


def test_a_touchpoint_at_two_steps_advances_the_attempt_at_the_step_before_the_later_one(tmp_path):
    # steps A, B, A: the second A advances the attempt held at B to step 3 (and starts a new attempt)
    people = {"p1": [(0, "A"), (10, "B"), (30, "A")], "p2": [(0, "A"), (10, "A")]}
    rows = run_funnels(tmp_path, people, [{"name": "aba", "steps": ["A", "B", "A"], "order": "sequential"}])["aba"]
    assert [(step, persons) for step, persons, *_ in rows] == [(1, 2), (2, 1), (3, 1)]
    assert rows[2][4] == 20.0


@pytest.mark.parametrize("events_per_pass", [mining.EVENTS_PER_PASS, 3])
def test_a_touchpoint_at_two_sequential_steps_advances_and_starts_attempts(tmp_path, monkeypatch, events_per_pass):
    # steps [Product page, Product page, Add to cart] = [A, A, B], window 3 days
    monkeypatch.setattr(mining, "EVENTS_PER_PASS", events_per_pass)
    day = 86400
    people = {
        # the SPEC's example: A@0 starts X; A@1 advances X to step 2 and starts Y; A@2 advances Y to step 2
        # and starts Z; B@3 advances Y (held at step 2) to step 3. Y is the first attempt at step 3: 1, 2, 3
        "p1": [(0, "A"), (1, "A"), (2, "A"), (3, "B")],
        # X: 0, 3d (inclusive); Y starts at 3d and reaches step 2 at 4d; B at 5d is 2d after Y's start,
        # so Y reaches step 3 (X, 5d after its start, could not): times 3d, 4d, 5d
        "p2": [(0, "A"), (3 * day, "A"), (4 * day, "A"), (5 * day, "B")],
        # B with nothing held at step 2 advances nothing
        "p3": [(5, "A"), (6, "B")],
    }
    rows = run_funnels(tmp_path, people, [{"name": "aab", "steps": ["A", "A", "B"], "order": "sequential",
                                           "window": 3 * day}])["aab"]
    # step 1: 3; step 2: p1 (1 s), p2 (1 d); step 3: p1 (1 s), p2 (1 d): mean and median 43200.5 s each
    assert rows == [(1, 3, 1.0, 1.0, None, None), (2, 2, 2 / 3, 2 / 3, 43200.5, 43200.5),
                    (3, 2, 2 / 3, 1.0, 43200.5, 43200.5)]


@pytest.mark.parametrize("events_per_pass", [mining.EVENTS_PER_PASS, 3])
def test_a_touchpoint_at_two_strict_steps_keeps_every_attempt_it_advanced_or_started(tmp_path, monkeypatch,
                                                                                     events_per_pass):
    # steps [Add to cart, Add to cart, Checkout] = [A, A, C], strict, no window
    monkeypatch.setattr(mining, "EVENTS_PER_PASS", events_per_pass)
    people = {
        # A@0 starts X; A@10 advances X to step 2 and starts Y (both kept); A@30 advances Y to step 2
        # (replacing X, which it does not advance: dropped) and starts Z; C@60 advances Y: 10, 30, 60
        "p1": [(0, "A"), (10, "A"), (30, "A"), (60, "C")],
        # X: 0, 10, then C advances it: 0, 10, 20
        "p2": [(0, "A"), (10, "A"), (20, "C")],
        # X (mapped, in no step) advances nothing: every attempt is dropped, C finds nothing at step 2
        "p3": [(0, "A"), (10, "A"), (15, "X"), (20, "C")],
    }
    rows = run_funnels(tmp_path, people, [{"name": "aac", "steps": ["A", "A", "C"], "order": "strict"}])["aac"]
    # step 2: all three (20, 10, 10 s: mean 40/3, median 10); step 3: p1 (30 s), p2 (10 s): mean and median 20
    assert rows == [(1, 3, 1.0, 1.0, None, None), (2, 3, 1.0, 1.0, 40 / 3, 10.0),
                    (3, 2, 2 / 3, 2 / 3, 20.0, 20.0)]


def reference(events: list[tuple[int, str, str]], steps: list[str], order: str, window: int | None):
    """The SPEC's funnel text, literally: returns the step times that count for one person."""
    step_numbers = {}
    for number, touchpoint in enumerate(steps, start=1):
        step_numbers.setdefault(touchpoint, []).append(number)
    if order == "any":
        return reference_any(events, step_numbers, window)
    reading = sorted(events, key=lambda e: (e[0], min(step_numbers.get(e[2], [10**9])), e[1]))
    held: dict[int, dict] = {}  # step -> the attempt that most recently reached it
    best: list[int] = []
    for at, _, touchpoint in reading:
        before = dict(held)
        moved = []  # the attempts this event advanced or started
        for k in sorted(step_numbers.get(touchpoint, []), reverse=True):
            if k == 1:
                attempt = {"start": at, "times": [at]}
            else:
                attempt = before.get(k - 1)
                if (attempt is None or any(attempt is m for m in moved) or len(attempt["times"]) != k - 1
                        or (window is not None and at - attempt["start"] > window)):
                    continue
                attempt["times"].append(at)
            held[k] = attempt
            moved.append(attempt)
        if order == "strict":
            held = {k: a for k, a in held.items() if any(a is m for m in moved)}
        for attempt in moved:
            if len(attempt["times"]) > len(best):
                best = list(attempt["times"])
    return best


def reference_any(events, step_numbers, window):
    best: list[int] = []
    for at, _, touchpoint in sorted(events):
        if touchpoint not in step_numbers:
            continue
        firsts = {}
        for later_at, _, later in events:
            if later_at >= at and (window is None or later_at - at <= window):
                for k in step_numbers.get(later, []):
                    firsts[k] = min(firsts.get(k, later_at), later_at)
        times = sorted(firsts.values())
        if len(times) > len(best):  # the earliest attempt of the highest level
            best = times
    return best


@pytest.mark.parametrize("seed, events_per_pass, state_bytes", [
    (1, mining.EVENTS_PER_PASS, fold.STATE_BYTES), (2, mining.EVENTS_PER_PASS, fold.STATE_BYTES),
    (3, mining.EVENTS_PER_PASS, fold.STATE_BYTES), (1, 150, fold.STATE_BYTES), (3, 40, fold.STATE_BYTES),
    (4, mining.EVENTS_PER_PASS, 1)])
def test_random_funnels_equal_the_reference(tmp_path, monkeypatch, seed, events_per_pass, state_bytes):
    """Also with the persons mined in several passes over buckets of persons, and folded one person at a time."""
    monkeypatch.setattr(mining, "EVENTS_PER_PASS", events_per_pass)
    monkeypatch.setattr(fold, "STATE_BYTES", state_bytes)
    rng = random.Random(seed)
    people = {}
    for person in range(120):
        at, events = 0, []
        for _ in range(rng.randrange(1, 14)):
            at += rng.choice([0, 0, 1, 5, 30, 60, 100, 250])
            events.append((at, rng.choice("AABBCX")))
        people[f"p{person:03d}"] = events
    funnels = [
        {"name": "seq", "steps": ["A", "B", "C"], "order": "sequential", "window": 200},
        {"name": "seq_open", "steps": ["A", "B", "A", "C"], "order": "sequential", "window": None},
        {"name": "strict", "steps": ["A", "B", "C"], "order": "strict", "window": 300},
        {"name": "strict_rep", "steps": ["B", "A", "B"], "order": "strict", "window": None},
        {"name": "seq_twice", "steps": ["A", "A", "B"], "order": "sequential", "window": 150},
        {"name": "seq_thrice", "steps": ["A", "A", "B", "A", "C"], "order": "sequential", "window": None},
        {"name": "strict_twice", "steps": ["A", "A", "C"], "order": "strict", "window": None},
        {"name": "strict_thrice", "steps": ["B", "A", "A", "B"], "order": "strict", "window": 250},
        {"name": "any", "steps": ["A", "B", "C"], "order": "any", "window": 120},
        {"name": "any_rep", "steps": ["C", "A", "C"], "order": "any", "window": 60},
    ]
    actual = run_funnels(tmp_path, people, funnels)
    for funnel in funnels:
        per_person = [
            reference([(at, f"{person}-{number:04d}", tp) for number, (at, tp) in enumerate(events)],
                      funnel["steps"], funnel["order"], funnel["window"])
            for person, events in people.items()]
        expected = []
        for k in range(1, len(funnel["steps"]) + 1):
            reached = [times for times in per_person if len(times) >= k]
            first = sum(1 for times in per_person if times)
            previous = sum(1 for times in per_person if len(times) >= k - 1) if k > 1 else len(reached)
            gaps = [times[k - 1] - times[k - 2] for times in reached] if k > 1 else []
            expected.append((k, len(reached), len(reached) / first if first else None,
                             len(reached) / previous if previous else None,
                             statistics.mean(gaps) if gaps else None, statistics.median(gaps) if gaps else None))
        assert [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in actual[funnel["name"]]] \
            == [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in expected], funnel["name"]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("order", ["sequential", "strict"])
@pytest.mark.parametrize("persons_at_once", [1, 7, None])
def test_each_persons_step_times_equal_the_reference(monkeypatch, seed, order, persons_at_once):
    """Person by person: a funnel's figures are sums over persons, blind to two persons' step times swapped.
    Every third person has no event of the first step, between persons who have; the persons folded one,
    seven or all at a time."""
    steps, names = ["A", "B", "A", "C"], "ABCX"
    if persons_at_once:
        monkeypatch.setattr(fold, "STATE_BYTES", 8 * len(steps) * (len(steps) + 3) * persons_at_once)
    rng = random.Random(seed)
    person, at, touchpoint, expected = [], [], [], []
    for number in range(200):
        times = sorted(rng.sample(range(1000), rng.randrange(1, 12)))  # no two events of a person at one time
        events = [(t, f"{i:04d}", rng.choice("BCX" if number % 3 == 0 else "AABCX")) for i, t in enumerate(times)]
        expected.append(reference(events, steps, order, 150))
        read = [e for e in events if order == "strict" or e[2] in steps]  # a sequential funnel reads its steps only
        person += [number] * len(read)
        at += [t for t, _, _ in read]
        touchpoint += [names.index(name) for _, _, name in read]
    table = np.array([[name == step for step in steps] for name in names])
    found, reached, times = fold.step_times(np.array(person), np.array(at), np.array(touchpoint), table,
                                            strict=order == "strict", window_us=150)
    actual = dict(zip(found.tolist(), (list(row[:n]) for row, n in zip(times.tolist(), reached))))
    assert [actual.get(number, []) for number in range(200)] == expected


def test_a_strict_window_that_ends_exactly_on_a_step_counts_it(tmp_path):
    people = {"p1": [(0, "A"), (50, "B"), (100, "C")], "p2": [(0, "A"), (50, "B"), (101, "C")]}
    rows = run_funnels(tmp_path, people, [{"name": "abc", "steps": ["A", "B", "C"], "order": "strict",
                                           "window": 100}])["abc"]
    # C at exactly start + 100 s is inside the window (inclusive); at 101 s it is not
    assert [(step, persons) for step, persons, *_ in rows] == [(1, 2), (2, 2), (3, 1)]
    assert rows[2][4] == 50.0
