"""Events tied on (timestamp, event_id): a clickstream and a CRM event may share both, since the dedupe
key is (source, event_id). Source breaks the tie everywhere events are read in order, clickstream before
crm (code points), so journeys and funnels are the same on every run and in every number of passes."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from journey_mining import db, definition, identity, ingest, mining

START = datetime(2026, 9, 1, tzinfo=timezone.utc)
DEFINITION = """\
name: ties
cut: {inactivity: 1h}
stages:
  - name: Look
    touchpoints:
      - {name: Pricing, match: {source: clickstream, event: page_view}}
      - {name: Call, match: {source: crm, object: call}}
      - {name: Promo, match: {properties: {campaign: spring}}}
  - name: Buy
    touchpoints:
      - {name: Order, match: {source: crm, object: order}, goal: true}
funnels:
  - {name: promo_then_call, steps: [Promo, Call], order: any}
"""
# kind -> (source, row fields)
KINDS = {"Pricing": ("clickstream", {"event": "page_view", "page_url": "/pricing"}),
         "Promo web": ("clickstream", {"event": "promo_click", "properties": {"campaign": "spring"}}),
         "Call": ("crm", {"object": "call", "action": "completed"}),
         "Order": ("crm", {"object": "order", "action": "created"}),
         "Promo mail": ("crm", {"object": "email", "action": "opened", "properties": {"campaign": "spring"}})}


def mine_twice(tmp_path, people: dict[str, list[tuple[int, str, str]]]):
    """people: {user_id: [(minutes after START, event_id, kind)]}. The CRM file is loaded first, so the
    load order does not put clickstream first. Mines twice; the connection and each run's paths."""
    files = {"crm": [], "clickstream": []}
    for user_id, events in people.items():
        for minutes, event_id, kind in events:
            source, fields = KINDS[kind]
            at = (START + timedelta(minutes=minutes)).isoformat()
            files[source].append({"event_id": f"{user_id}-{event_id}", "user_id": user_id, "timestamp": at,
                                  **fields})
    con = db.connect(tmp_path / "journeys.duckdb")
    for source, rows in files.items():
        path = tmp_path / f"{source}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        ingest.ingest(con, source, [path])
    identity.build_persons(con)
    definition_file = tmp_path / "ties.yaml"
    definition_file.write_text(DEFINITION)
    runs = []
    for _ in range(2):
        mining.mine(con, definition.load(definition_file), full=True)
        runs.append(con.execute("select p.id_value, j.path from journeys as j join identities as p "
                                "on p.person_id = j.person_id and p.id_kind = 'user_id' "
                                "order by p.id_value, j.start_at").fetchall())
    return con, runs


@pytest.mark.parametrize("events_per_pass", [mining.EVENTS_PER_PASS, 3])
def test_a_clickstream_and_a_crm_event_of_one_id_and_time_are_read_clickstream_first(tmp_path, monkeypatch,
                                                                                      events_per_pass):
    monkeypatch.setattr(mining, "EVENTS_PER_PASS", events_per_pass)
    # per person: Pricing (clickstream) and Order (crm, a goal) of one id at 0; Pricing and Call of one id
    # at 10 min. Clickstream first: Pricing > Order ends a journey, then Pricing > Call. (crm first would
    # make Order alone, then Pricing > Call > Pricing.)
    people = {f"u{n:02d}": [(0, "e1", "Pricing"), (0, "e1", "Order"), (10, "e2", "Call"), (10, "e2", "Pricing")]
              for n in range(12)}
    _, runs = mine_twice(tmp_path, people)
    expected = [(user_id, path) for user_id in sorted(people) for path in ("Pricing > Order", "Pricing > Call")]
    assert runs == [expected, expected]


@pytest.mark.parametrize("events_per_pass", [mining.EVENTS_PER_PASS, 3])
def test_an_any_funnel_attempt_is_one_event_not_one_event_id(tmp_path, monkeypatch, events_per_pass):
    monkeypatch.setattr(mining, "EVENTS_PER_PASS", events_per_pass)
    # Promo from both sources with one id and time, and no Call: each starts an attempt of level 1 (Promo
    # only). Taken as one attempt, the pair's two Promo times would make two steps.
    people = {f"u{n:02d}": [(0, "e1", "Promo web"), (0, "e1", "Promo mail")] for n in range(6)}
    con, _ = mine_twice(tmp_path, people)
    assert con.execute("select step, persons from funnels order by step").fetchall() == [(1, 6), (2, 0)]
