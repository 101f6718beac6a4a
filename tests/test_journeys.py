"""Golden tests of mapping, journeys and the journey tables: small event sets worked out by hand."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from journey_mining import db, definition, identity, ingest, mining

START = datetime(2026, 9, 1, tzinfo=timezone.utc)
DEFINITION = """\
name: golden
scope:
  properties: {{product: pro}}
cut:
  inactivity: 1h
  end_on_goal: {end_on_goal}
  collapse_repeats: {collapse}
stages:
  - name: Awareness
    touchpoints:
      - {{name: Ad, match: {{source: clickstream, event: ad_click}}}}
      - {{name: Blog, match: {{event: page_view, url: "/blog/*"}}}}
  - name: Consideration
    touchpoints:
      - {{name: Pricing, match: {{event: page_view, url: "/pricing*"}}}}
      - {{name: Call, match: {{source: crm, object: call, channel: [phone, sales]}}}}
  - name: Trial
    touchpoints:
      - {{name: Signup, match: {{event: signup}}}}
  - name: Purchase
    touchpoints:
      - {{name: Order, match: {{object: order, action: created}}, goal: true}}
allowed:
  - [Ad, Signup]
"""
# name -> (source, row fields) for the events below
KINDS = {
    "Ad": ("clickstream", {"event": "ad_click"}),
    "Blog": ("clickstream", {"event": "page_view", "page_url": "https://example.com/blog/post?utm=x"}),
    "Pricing": ("clickstream", {"event": "page_view", "page_url": "/pricing/team#plans"}),
    "Signup": ("clickstream", {"event": "signup"}),
    "Other": ("clickstream", {"event": "page_view", "page_url": "/careers"}),  # in scope, unmapped
    "Call": ("crm", {"object": "call", "action": "completed", "channel": "phone"}),
    "Email": ("crm", {"object": "call", "action": "completed", "channel": "email"}),  # channel not listed
    "Order": ("crm", {"object": "order", "action": "created"}),
}


def mine(tmp_path, people, *, end_on_goal=True, collapse=True, product="pro"):
    """people: {person: [(minutes after START, kind)]}; returns the open connection after mining."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = {"clickstream": [], "crm": []}
    for person, events in people.items():
        for number, (minutes, kind) in enumerate(events):
            source, fields = KINDS[kind]
            # a login id on both sources makes one person of a web visitor and a CRM customer
            identity_field = {"anonymous_id": f"anon-{person}" if source == "clickstream" else None,
                              "customer_id": f"C-{person}" if source == "crm" else None, "user_id": person}
            at = START + timedelta(minutes=minutes)
            files[source].append({"event_id": f"{person}-{number:03d}", **identity_field, **fields,
                                  "timestamp": at.isoformat(), "properties": {"product": product}})
    con = db.connect(tmp_path / "journeys.duckdb")
    for source, rows in files.items():
        if rows:
            path = tmp_path / f"{source}.jsonl"
            path.write_text("".join(json.dumps(row) + "\n" for row in rows))
            ingest.ingest(con, source, [path])
    identity.build_persons(con)
    definition_file = tmp_path / "golden.yaml"
    definition_file.write_text(DEFINITION.format(end_on_goal=str(end_on_goal).lower(), collapse=str(collapse).lower()))
    counts = mining.mine(con, definition.load(definition_file))
    return con, counts


def paths(con):
    return [row[0] for row in con.execute("select path from journeys order by person_id, start_at").fetchall()]


def test_a_gap_longer_than_inactivity_cuts_and_a_gap_of_exactly_inactivity_does_not(tmp_path):
    # 60 min after Ad: same journey; then 61 min later: a new one
    con, counts = mine(tmp_path, {"a": [(0, "Ad"), (60, "Blog"), (121, "Pricing")]})
    assert paths(con) == ["Ad > Blog", "Pricing"]
    assert (counts.journeys, counts.persons, counts.converted) == (2, 1, 0)


def test_a_goal_ends_the_journey_and_two_goals_in_a_row_make_two_journeys(tmp_path):
    con, _ = mine(tmp_path, {"c": [(0, "Call"), (5, "Order"), (6, "Order"), (7, "Call")]})
    assert paths(con) == ["Call > Order", "Order", "Call"]
    con2, _ = mine(tmp_path / "off", {"c": [(0, "Call"), (5, "Order"), (6, "Order"), (7, "Call")]},
                   end_on_goal=False)
    assert paths(con2) == ["Call > Order > Call"]


def test_repeats_collapse_into_one_step_unless_switched_off(tmp_path):
    people = {"a": [(0, "Blog"), (1, "Blog"), (2, "Pricing"), (3, "Blog")]}
    con, _ = mine(tmp_path, people)
    assert paths(con) == ["Blog > Pricing > Blog"]
    assert con.execute("select events from touchpoint_kpis where touchpoint = 'Blog'").fetchone() == (3,)
    con2, _ = mine(tmp_path / "off", people, collapse=False)
    assert paths(con2) == ["Blog > Blog > Pricing > Blog"]
    # the repeated step is a Blog -> Blog transition taken once, within a stage: expected
    assert con2.execute("select transitions, kind from transitions where source = 'Blog' and target = 'Blog'"
                        ).fetchone() == (1, "expected")


def test_scope_mapping_and_counts(tmp_path):
    con, counts = mine(tmp_path, {"a": [(0, "Ad"), (1, "Other"), (2, "Pricing")], "c": [(0, "Email"), (1, "Call")]})
    # in scope: all 5; mapped: Ad, Pricing, Call; unmapped: Other, Email (channel email is not listed)
    assert (counts.in_scope, counts.out_of_scope, counts.mapped, counts.unmapped) == (5, 0, 3, 2)
    _, basic = mine(tmp_path / "basic", {"a": [(0, "Ad")]}, product="basic")
    assert (basic.in_scope, basic.out_of_scope, basic.mapped, basic.journeys) == (0, 1, 0, 0)


def test_deviation_kinds_and_allowed_pairs(tmp_path):
    people = {
        "a": [(0, "Ad"), (1, "Signup")],  # stage 0 -> 2, but allowed: expected, conforms
        "b": [(0, "Blog"), (1, "Order")],  # 0 -> 3: skip
        "c": [(0, "Pricing"), (1, "Blog")],  # entry at stage 1, then 1 -> 0: backward
        "d": [(0, "Ad"), (1, "Pricing"), (2, "Signup"), (3, "Order")],  # the assumed journey
    }
    con, _ = mine(tmp_path, people)
    kinds = dict(((s, t), k) for s, t, k in con.execute("select source, target, kind from transitions").fetchall())
    assert kinds[("Ad", "Signup")] == "expected"
    assert kinds[("Blog", "Order")] == "skip"
    assert kinds[("(start)", "Pricing")] == "entry"
    assert kinds[("Pricing", "Blog")] == "backward"
    assert kinds[("(start)", "Ad")] == kinds[("Signup", "(end)")] == "expected"
    deviations = con.execute("select source, target, kind, journeys, share from deviations "
                             "where kind <> 'not_taken' order by kind, source").fetchall()
    assert deviations == [("Pricing", "Blog", "backward", 1, 0.25), ("(start)", "Pricing", "entry", 1, 0.25),
                          ("Blog", "Order", "skip", 1, 0.25)]
    conforming = con.execute("select path, conforms from variants order by path").fetchall()
    assert conforming == [("Ad > Pricing > Signup > Order", True), ("Ad > Signup", True),
                          ("Blog > Order", False), ("Pricing > Blog", False)]
    # assumed transitions between different touchpoints: within stages Ad<->Blog, Pricing<->Call (4);
    # to the next stage Ad/Blog -> Pricing/Call (4), Pricing/Call -> Signup (2), Signup -> Order (1);
    # allowed Ad -> Signup (1): 12 in all, of which Ad->Pricing, Pricing->Signup, Signup->Order and
    # Ad->Signup were taken: 8 not taken
    assert con.execute("select count(*) from deviations where kind = 'not_taken' and journeys = 0").fetchone() == (8,)


def test_stage_and_touchpoint_kpis_worked_by_hand(tmp_path):
    people = {
        "a": [(0, "Ad"), (10, "Pricing"), (30, "Order")],  # converted
        "b": [(0, "Blog"), (20, "Pricing")],  # drops in Consideration, exits at Pricing
        "c": [(0, "Pricing"), (5, "Signup")],  # drops in Trial, exits at Signup
    }
    con, _ = mine(tmp_path, people)
    stages = con.execute("select stage, journeys_reached, journeys_dropped, drop_off_rate, median_s_to_reach "
                         "from stage_kpis order by stage_order").fetchall()
    assert stages == [("Awareness", 2, 0, 0.0, 0.0),  # a, b; both from their first step
                      ("Consideration", 3, 1, 1 / 3, 600.0),  # a 600 s, b 1200 s, c 0 s: median 600
                      ("Trial", 1, 1, 1.0, 300.0),
                      ("Purchase", 1, 0, 0.0, 1800.0)]
    touchpoints = con.execute("select touchpoint, events, journeys, exits, exit_rate from touchpoint_kpis").fetchall()
    assert touchpoints == [("Ad", 1, 1, 0, 0.0), ("Blog", 1, 1, 0, 0.0), ("Pricing", 3, 3, 1, 1 / 3),
                           ("Call", 0, 0, 0, None), ("Signup", 1, 1, 1, 1.0), ("Order", 1, 1, 0, 0.0)]
    # drop-offs sum to the journeys that did not convert
    assert sum(row[2] for row in stages) == 2


def test_mining_again_replaces_the_definitions_rows(tmp_path):
    con, _ = mine(tmp_path, {"a": [(0, "Ad")]})
    mining.mine(con, definition.load(tmp_path / "golden.yaml"))
    assert con.execute("select count(*) from journeys").fetchone() == (1,)
    assert con.execute("select count(*) from stage_kpis").fetchone() == (4,)


@pytest.mark.parametrize("score_kind, score, expected", [
    ("csat", 5, 1.0), ("csat", 1, -1.0), ("nps", 10, 1.0), ("nps", 0, -1.0), (None, 0.5, 0.5),
    ("sentiment", -0.25, -0.25), ("csat", 6, None), ("nps", 11, None), (None, 2, None)])
def test_mean_score_puts_each_kind_on_one_scale(tmp_path, score_kind, score, expected):
    row = {"event_id": "s1", "customer_id": "c", "timestamp": START.isoformat(), "object": "call",
           "action": "completed", "channel": "phone", "score": score,
           "properties": {"product": "pro", **({"score_kind": score_kind} if score_kind else {})}}
    (tmp_path / "crm.jsonl").write_text(json.dumps(row) + "\n")
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "crm", [tmp_path / "crm.jsonl"])
    identity.build_persons(con)
    (tmp_path / "golden.yaml").write_text(DEFINITION.format(end_on_goal="true", collapse="true"))
    mining.mine(con, definition.load(tmp_path / "golden.yaml"))
    assert con.execute("select mean_score from touchpoint_kpis where touchpoint = 'Call'").fetchone() == (expected,)


def test_feelings_are_the_mean_score_per_stage_and_per_touchpoint(tmp_path):
    scores = [("call", "completed", "csat", 5), ("call", "completed", "nps", 0), ("call", "completed", "csat", 6),
              ("order", "created", "sentiment", 0.5)]
    rows = [{"event_id": f"s{n}", "customer_id": "c", "timestamp": (START + timedelta(minutes=n)).isoformat(),
             "object": obj, "action": action, "channel": "phone", "score": score,
             "properties": {"product": "pro", "score_kind": kind}}
            for n, (obj, action, kind, score) in enumerate(scores)]
    (tmp_path / "crm.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "crm", [tmp_path / "crm.jsonl"])
    identity.build_persons(con)
    (tmp_path / "golden.yaml").write_text(DEFINITION.format(end_on_goal="true", collapse="true"))
    mining.mine(con, definition.load(tmp_path / "golden.yaml"))
    feelings = con.execute("select stage, touchpoint, scored_events, mean_score from feelings").fetchall()
    # csat 5 -> 1 and nps 0 -> -1 on the call; csat 6 is out of range; the order's sentiment 0.5 as it is
    assert feelings == [
        ("Awareness", None, 0, None), ("Awareness", "Ad", 0, None), ("Awareness", "Blog", 0, None),
        ("Consideration", None, 2, 0.0), ("Consideration", "Pricing", 0, None), ("Consideration", "Call", 2, 0.0),
        ("Trial", None, 0, None), ("Trial", "Signup", 0, None),
        ("Purchase", None, 1, 0.5), ("Purchase", "Order", 1, 0.5)]
    assert con.execute("select mean_score from touchpoint_kpis where touchpoint = 'Call'").fetchone() == (0.0,)
