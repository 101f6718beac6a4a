"""Mining against independent routes: a brute-force Python reference written here from SPEC sections
4 and 5, and pm4py's own directly-follows graph and variants computed from the same journeys."""

import json
import math
import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pandas as pd
import pytest

from journey_mining import db, definition, identity, ingest, mining, sql

DEFINITION = """\
name: reference
scope:
  properties: {{product: pro}}
cut:
  inactivity: {inactivity}
  end_on_goal: {end_on_goal}
  collapse_repeats: {collapse}
stages:
  - name: Awareness
    touchpoints:
      - name: Ad
        match: {{event: ad_click}}
      - name: Blog
        match: {{event: page_view, url: "/blog/*"}}
  - name: Consideration
    touchpoints:
      - name: Pricing
        match: {{event: page_view, url: "/pricing*"}}
      - name: Demo
        match: {{event: [demo_booked, demo_held]}}
  - name: Trial
    touchpoints:
      - name: Signup
        match: {{event: signup}}
  - name: Purchase
    touchpoints:
      - name: Order
        match: {{event: order}}
        goal: true
allowed:
  - [Ad, Signup]
"""
# event name and url -> the touchpoint the definition maps it to (None: unmapped), for the reference
EVENT_KINDS = [("ad_click", None, "Ad"), ("page_view", "/blog/a", "Blog"), ("page_view", "/blog/b?x=1", "Blog"),
               ("page_view", "/pricing", "Pricing"), ("page_view", "/pricing/team", "Pricing"),
               ("demo_booked", None, "Demo"), ("demo_held", None, "Demo"), ("signup", None, "Signup"),
               ("order", None, "Order"), ("page_view", "/careers", None)]
STAGE_OF = {"Ad": 0, "Blog": 0, "Pricing": 1, "Demo": 1, "Signup": 2, "Order": 3}
STAGES = ["Awareness", "Consideration", "Trial", "Purchase"]
ALLOWED = {("Ad", "Signup")}


def random_events(seed: int, persons: int) -> list[dict]:
    """Clickstream rows: each person one device, a few in the other product (out of scope)."""
    rng = random.Random(seed)
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    rows = []
    for person in range(persons):
        at = start + timedelta(hours=rng.randrange(0, 24 * 20))
        for number in range(rng.randrange(1, 12)):
            gap = rng.choice([0, 1, 30, 600, 3600, 86400, 86400 * 3, 86400 * 9])  # ties, the 1h timeout exactly
            at += timedelta(seconds=gap, microseconds=rng.randrange(10**6) if gap in (30, 600) else 0)
            event, url, _ = rng.choice(EVENT_KINDS)
            rows.append({"event_id": f"p{person}-{number}", "anonymous_id": f"anon-{person}",
                         "timestamp": at.isoformat().replace("+00:00", "Z"), "event": event, "page_url": url,
                         "properties": {"product": "pro" if rng.random() < 0.9 else "basic"}})
    return rows


def touchpoint_of(row: dict) -> str | None:
    for event, url, touchpoint in EVENT_KINDS:
        if row["event"] == event and (url is None or row["page_url"] == url):
            return touchpoint
    return None


def reference_journeys(rows, inactivity_s, end_on_goal, collapse):
    """SPEC section 4, written out plainly: per person, sort, cut, collapse."""
    by_person = defaultdict(list)
    for row in rows:
        touchpoint = touchpoint_of(row)
        if row["properties"]["product"] == "pro" and touchpoint:
            at = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
            by_person[row["anonymous_id"]].append((at, row["event_id"], touchpoint))
    journeys = []
    for person, events in by_person.items():
        events.sort(key=lambda e: (e[0], e[1]))
        current = []
        for at, _, touchpoint in events:
            if current and ((at - current[-1][0]).total_seconds() > inactivity_s
                            or (end_on_goal and current[-1][1] == "Order")):
                journeys.append((person, current))
                current = []
            current.append((at, touchpoint))
        journeys.append((person, current))
    result = []
    for person, events in journeys:
        steps = []
        for at, touchpoint in events:
            if not (collapse and steps and steps[-1][1] == touchpoint):
                steps.append((at, touchpoint))
        result.append({"person": person, "events": events, "steps": steps})
    return result


def exact_quantile(durations: list[timedelta], q: Fraction) -> float:
    """The q-quantile of the durations in seconds, by linear interpolation between the closest ranks (numpy's
    default), worked out in fractions and rounded once to the nearest float."""
    ordered = sorted(Fraction(took // timedelta(microseconds=1), 10**6) for took in durations)
    rank = q * (len(ordered) - 1)
    lower = math.floor(rank)
    upper = min(lower + 1, len(ordered) - 1)
    return float(ordered[lower] + (ordered[upper] - ordered[lower]) * (rank - lower))


def kind(source, target):
    i, j = STAGE_OF[source], STAGE_OF[target]
    if j in (i, i + 1) or (source, target) in ALLOWED:
        return "expected"
    return "skip" if j > i + 1 else "backward"


def mined(tmp_path, rows, inactivity, end_on_goal, collapse):
    events_file = tmp_path / "events.jsonl"
    events_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    definition_file = tmp_path / "reference.yaml"
    definition_file.write_text(DEFINITION.format(inactivity=inactivity, end_on_goal=str(end_on_goal).lower(),
                                                 collapse=str(collapse).lower()))
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "clickstream", [events_file])
    identity.build_persons(con)
    mining.mine(con, definition.load(definition_file))
    return con


@pytest.mark.parametrize("seed, inactivity, end_on_goal, collapse, events_per_pass", [
    (1, "30d", True, True, mining.EVENTS_PER_PASS), (2, "2d", True, False, mining.EVENTS_PER_PASS),
    (3, "1h", False, True, mining.EVENTS_PER_PASS), (4, "7d", False, False, mining.EVENTS_PER_PASS),
    (5, "2d", True, True, 300)])
def test_kpis_equal_a_brute_force_reference(tmp_path, monkeypatch, seed, inactivity, end_on_goal, collapse,
                                            events_per_pass):
    """Also with the persons mined in several passes over buckets of persons."""
    monkeypatch.setattr(mining, "EVENTS_PER_PASS", events_per_pass)
    rows = random_events(seed, persons=300)
    inactivity_s = definition.DURATION.match(inactivity).group(1)
    inactivity_s = int(inactivity_s) * definition.SECONDS[inactivity[-1]]
    journeys = reference_journeys(rows, inactivity_s, end_on_goal, collapse)
    con = mined(tmp_path, rows, inactivity, end_on_goal, collapse)

    converted = [any(t == "Order" for _, t in j["steps"]) for j in journeys]
    expected_stages = []
    for index, stage in enumerate(STAGES):
        reached = [j for j in journeys if any(STAGE_OF[t] == index for _, t in j["steps"])]
        dropped = sum(1 for j, c in zip(journeys, converted)
                      if not c and max(STAGE_OF[t] for _, t in j["steps"]) == index)
        to_reach = [min(at for at, t in j["steps"] if STAGE_OF[t] == index) - j["steps"][0][0] for j in reached]
        expected_stages.append((stage, len(reached), dropped,
                                dropped / len(reached) if reached else None,
                                exact_quantile(to_reach, Fraction(1, 2)) if to_reach else None))
    actual_stages = con.execute("select stage, journeys_reached, journeys_dropped, drop_off_rate, median_s_to_reach "
                                "from stage_kpis order by stage_order").fetchall()
    assert actual_stages == expected_stages  # to the last bit

    expected_touchpoints = []
    for touchpoint in STAGE_OF:
        events = sum(1 for j in journeys for _, t in j["events"] if t == touchpoint)
        having = [j for j in journeys if any(t == touchpoint for _, t in j["steps"])]
        exits = sum(1 for j, c in zip(journeys, converted) if not c and j["steps"][-1][1] == touchpoint)
        expected_touchpoints.append((touchpoint, events, len(having), exits, exits / len(having) if having else None))
    actual_touchpoints = con.execute("select touchpoint, events, journeys, exits, exit_rate from touchpoint_kpis").fetchall()
    assert actual_touchpoints == expected_touchpoints

    expected_edges, edge_journeys, edges_of = defaultdict(list), defaultdict(set), []
    for number, j in enumerate(journeys):
        steps = j["steps"]
        edges = [("(start)", steps[0][1]), *((a, b) for (_, a), (_, b) in zip(steps, steps[1:])), (steps[-1][1], "(end)")]
        seconds = [None, *(b_at - a_at for (a_at, _), (b_at, _) in zip(steps, steps[1:])), None]
        for edge, took in zip(edges, seconds):
            expected_edges[edge].append(took)
            edge_journeys[edge].add(number)
        edges_of.append(edges)
    rarest = [min(len(edge_journeys[edge]) for edge in edges) for edges in edges_of]  # per journey
    actual = {(s, t): (n, journeys_with, median_s, p90_s, k) for s, t, n, journeys_with, median_s, p90_s, k in con.execute(
        "select source, target, transitions, journeys, median_s, p90_s, kind from transitions").fetchall()}
    assert set(actual) == set(expected_edges)
    assert con.execute("select rarest_edge_journeys, journeys from rarest_edges order by 1").fetchall() == sorted(
        Counter(rarest).items())
    for (source, target), seconds in expected_edges.items():
        n, journeys_with, median_s, p90_s, edge_kind = actual[(source, target)]
        assert n == len(seconds) and journeys_with == len(edge_journeys[(source, target)])
        if source == "(start)":
            assert edge_kind == ("expected" if STAGE_OF[target] == 0 else "entry")
            assert median_s is None and p90_s is None
        elif target == "(end)":
            assert edge_kind == "expected" and median_s is None
        else:
            assert edge_kind == kind(source, target)
            # to the last bit (p90 interpolates by tenths, which no float holds exactly)
            assert median_s == exact_quantile(seconds, Fraction(1, 2))
            assert p90_s == exact_quantile(seconds, Fraction(9, 10))

    # the twin's chain paths (SPEC 8): the touchpoints up to the first goal step, repeats merged
    chains = Counter()
    for j, c in zip(journeys, converted):
        touched = [t for _, t in j["steps"]]
        kept = touched[:touched.index("Order")] if c else touched
        chains[(" > ".join(t for i, t in enumerate(kept) if i == 0 or t != kept[i - 1]), c)] += 1
    assert dict(chains) == {(path, c): n for path, c, n in con.execute(
        "select path, converted, journeys from twin_paths").fetchall()}

    # the personas' tokens (SPEC 9): per person, one per path step and one per pair of steps within a journey
    tokens = defaultdict(Counter)  # by anonymous_id
    for j in journeys:
        steps = [t for _, t in j["steps"]]
        tokens[j["person"]].update(steps)
        tokens[j["person"]].update(zip(steps, steps[1:]))
    names = list(STAGE_OF)
    found = defaultdict(Counter)
    for person, token, count in sql.run(con, "segments/person_tokens", {"definition": "reference",
                                                                        "touchpoints": len(names)}):
        found[person][names[token] if token < len(names) else tuple(names[i] for i in divmod(token - len(names),
                                                                                                len(names)))] = count
    persons = [person_id for (person_id,) in sql.run(con, "segments/persons", {"definition": "reference"})]
    assert sorted(found) == list(range(len(persons)))
    person_of = dict(con.execute(
        "select id_value, person_id from identities where id_kind = 'anonymous_id'").fetchall())
    assert {persons[number]: dict(counted) for number, counted in found.items()} == {
        person_of[anonymous_id]: dict(counted) for anonymous_id, counted in tokens.items()}


@pytest.mark.parametrize("collapse", [True, False])
def test_transitions_and_variants_equal_pm4py(tmp_path, collapse):
    pm4py = pytest.importorskip("pm4py")
    con = mined(tmp_path, random_events(11, persons=400), "30d", True, collapse)
    # pm4py reads each journey's path as a trace: one event per step, in step order
    journeys = con.execute("select journey_id, path from journeys").fetchall()
    log = pd.DataFrame(
        [{"case:concept:name": journey_id, "concept:name": touchpoint,
          "time:timestamp": datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=position)}
         for journey_id, path in journeys for position, touchpoint in enumerate(path.split(" > "))])
    dfg, starts, ends = pm4py.discover_dfg(log, case_id_key="case:concept:name", activity_key="concept:name",
                                           timestamp_key="time:timestamp")
    edges = {(s, t): n for s, t, n in con.execute("select source, target, transitions from transitions").fetchall()}
    assert {k: v for k, v in edges.items() if "(start)" not in k and "(end)" not in k} == dict(dfg)
    assert {t: n for (s, t), n in edges.items() if s == "(start)"} == dict(starts)
    assert {s: n for (s, t), n in edges.items() if t == "(end)"} == dict(ends)

    pm4py_variants = pm4py.get_variants(log, case_id_key="case:concept:name", activity_key="concept:name",
                                        timestamp_key="time:timestamp")
    ours = {tuple(path.split(" > ")): n for path, n in con.execute("select path, journeys from variants").fetchall()}
    assert ours == {tuple(variant): count for variant, count in pm4py_variants.items()}
    ranks = con.execute("select path from variants order by rank").fetchall()
    by_count = sorted(ours.items(), key=lambda item: (-item[1], " > ".join(item[0])))
    assert [path for (path,) in ranks] == [" > ".join(variant) for variant, _ in by_count]
