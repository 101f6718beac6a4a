"""Segments (SPEC section 9) on hand-built journeys: a journey's value is its first step's event's (first
touch), `(none)` when that event lacks the field; segments.csv and segment_stage_kpis.csv worked by hand."""

import csv
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from journey_mining import db, definition, identity, ingest, run

START = datetime(2026, 9, 1, tzinfo=timezone.utc)
DEFINITION = """\
name: seg
cut: {inactivity: 1d}
stages:
  - name: Look
    touchpoints:
      - {name: Ad, match: {event: ad_click}}
      - {name: Page, match: {event: page_view}}
  - name: Buy
    touchpoints:
      - {name: Order, match: {event: order}, goal: true}
segments:
  - {name: channel, by: utm_source}
  - {name: plan, by: properties.plan}
  - {name: who, by: persona}
"""
# person -> [(event_id, hours after START, event, utm_source, plan)]
PEOPLE = {
    # j1: Ad (google, pro) > Page (bing) > Order, converted; j2 five days later: Page without either
    "p1": [("p1-1", 0, "ad_click", "google", "pro"), ("p1-2", 1, "page_view", "bing", None),
           ("p1-3", 2, "order", None, None), ("p1-4", 120, "page_view", None, None)],
    # j3: Page (bing, basic) > Page (google): one step, not converted
    "p2": [("p2-1", 0, "page_view", "bing", "basic"), ("p2-2", 1, "page_view", "google", None)],
    # j4: the first event has no campaign and an empty plan; later ones do not count; converted
    "p3": [("p3-1", 24, "page_view", None, ""), ("p3-2", 25, "ad_click", "google", "pro"),
           ("p3-3", 26, "order", None, None)],
    # j5: two events at one time: reading order takes event_id p4-a (the ad click, google) first
    "p4": [("p4-b", 48, "page_view", "bing", None), ("p4-a", 48, "ad_click", "google", None)],
}


@pytest.fixture
def mined(tmp_path):
    rows = []
    for person, events in PEOPLE.items():
        for event_id, hours, event, utm_source, plan in events:
            row = {"event_id": event_id, "anonymous_id": person, "event": event,
                   "timestamp": (START + timedelta(hours=hours)).isoformat()}
            if utm_source:
                row["utm_source"] = utm_source
            if plan is not None:
                row["properties"] = {"plan": plan}
            rows.append(row)
    events_file = tmp_path / "clickstream.jsonl"
    events_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    definition_file = tmp_path / "seg.yaml"
    definition_file.write_text(DEFINITION)
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "clickstream", [events_file])
    identity.build_persons(con)
    run.mine_definition(con, definition.load(definition_file), tmp_path / "out")
    con.close()
    return tmp_path


def read(path):
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_segment_values_are_the_first_touch_and_none_when_missing(mined):
    rows = [(r["segment"], r["value"], r["journeys"], r["share"], r["converted"], r["conversion_rate"])
            for r in read(mined / "out" / "seg" / "segments.csv")]
    assert rows == [
        # (none): j2, j4 (j4's later google event does not count); google: j1, j5 (the tie read by event_id)
        ("channel", "(none)", "2", "0.4", "1", "0.5"),
        ("channel", "google", "2", "0.4", "1", "0.5"),
        ("channel", "bing", "1", "0.2", "0", "0"),
        # an empty property is missing too
        ("plan", "(none)", "3", "0.6", "1", "0.3333333333333333"),
        ("plan", "basic", "1", "0.2", "0", "0"),
        ("plan", "pro", "1", "0.2", "1", "1"),
        # fewer than 200 persons: no personas, every journey (none)
        ("who", "(none)", "5", "1", "2", "0.4"),
    ]


def test_segment_stage_kpis_count_each_values_journeys_alone(mined):
    rows = {(r["segment"], r["value"], r["stage"]): (r["journeys_reached"], r["journeys_dropped"], r["drop_off_rate"])
            for r in read(mined / "out" / "seg" / "segment_stage_kpis.csv")}
    assert rows[("channel", "google", "Look")] == ("2", "1", "0.5")   # j1 converted, j5 dropped
    assert rows[("channel", "google", "Buy")] == ("1", "0", "0")
    assert rows[("channel", "bing", "Look")] == ("1", "1", "1")       # j3
    assert rows[("channel", "bing", "Buy")] == ("0", "0", "")         # nobody reached it: no rate
    assert rows[("channel", "(none)", "Look")] == ("2", "1", "0.5")   # j2 dropped, j4 converted
    assert len(rows) == 7 * 2  # every value, every stage
    assert (mined / "out" / "seg" / "persona_members.parquet").exists()
    assert read(mined / "out" / "seg" / "personas.csv") == []


def test_compare_one_segment_value_against_the_rest(mined):
    done = subprocess.run([sys.executable, "-m", "journey_mining.cli", "compare", str(mined / "seg.yaml"),
                           "--db", str(mined / "journeys.duckdb"), "--out", str(mined / "out"),
                           "--segment", "channel=google"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = {(r["item_kind"], r["item"]): r for r in read(mined / "out" / "seg" / "comparison.csv")}
    conversion = rows[("conversion", "")]
    # google: j1 converted, j5 not; the rest: j4 converted, j2 and j3 not
    assert (conversion["previous_x"], conversion["previous_n"], conversion["current_x"], conversion["current_n"]) \
        == ("1", "3", "1", "2")
    assert rows[("variant", "Ad > Page")]["current_x"] == "1" and rows[("variant", "Ad > Page")]["previous_x"] == "0"
    assert all(r["kind"] == "" for r in rows.values())  # five journeys: nothing reaches 30


def test_an_unknown_segment_or_value_is_bad_usage(mined):
    for argument, message in (("plan=gold", "no journey of 'seg' has plan=gold"),
                              ("region=eu", "no segment 'region'"), ("chanel=x", "(did you mean 'channel'?)"),
                              ("channel", "expected NAME=VALUE")):
        done = subprocess.run([sys.executable, "-m", "journey_mining.cli", "compare", str(mined / "seg.yaml"),
                               "--db", str(mined / "journeys.duckdb"), "--segment", argument],
                              capture_output=True, text=True)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_compare_on_a_database_not_mined_says_so(mined, tmp_path):
    fresh = tmp_path / "fresh.duckdb"
    db.connect(fresh).close()
    done = subprocess.run([sys.executable, "-m", "journey_mining.cli", "compare", str(mined / "seg.yaml"),
                           "--db", str(fresh), "--segment", "channel=google"], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.strip() == (
        f"journeys: seg: not mined in this database yet; run `journeys mine {mined / 'seg.yaml'}` first")


@pytest.mark.parametrize("block, line, problem", [
    ("segments:\n  - {name: x, by: timestamp}\n", 12, "cannot split by 'timestamp'"),
    ("segments:\n  - {name: x, by: properties.}\n", 12, "cannot split by 'properties.'"),
    ("segments:\n  - {name: x, by: utm_source}\n  - {name: x, by: channel}\n", 13, "segment name 'x' is used twice"),
    ("segments:\n  - {name: x}\n", 12, "a segment needs 'by'"),
    ("alerts: {window: 12h}\n", 11, "not a whole number of days"),
    ("alerts: {horizon: 7d, every: 1d}\n", 11, "unknown key 'every' in alerts"),
])
def test_bad_segments_and_alerts_blocks_name_the_line(tmp_path, block, line, problem):
    path = tmp_path / "bad.yaml"
    path.write_text(DEFINITION.split("segments:")[0] + block)
    with pytest.raises(definition.DefinitionError, match=rf"bad\.yaml:{line}: .*{problem}"):
        definition.load(path)


PLANTED = """\
name: planted
cut: {inactivity: 1d}
stages:
  - name: Look
    touchpoints:
      - {name: Blog, match: {event: blog}}
      - {name: Docs, match: {event: docs}}
      - {name: Webinar, match: {event: webinar}}
      - {name: Pricing, match: {event: pricing}}
  - name: Try
    touchpoints:
      - {name: Demo, match: {event: demo}}
      - {name: Trial, match: {event: trial}}
  - name: Buy
    touchpoints:
      - {name: Order, match: {event: order}, goal: true}
segments:
  - {name: who, by: persona}
"""
# three kinds of person, each walking mostly its own touchpoints, with Pricing shared by all
HABITS = {"readers": ["blog", "docs", "pricing"], "watchers": ["webinar", "demo", "pricing"],
          "testers": ["trial", "pricing", "order"]}


def test_personas_of_planted_kinds_of_person(tmp_path):
    """300 persons of three planted kinds, mined: three personas, each named by its kind's touchpoints, its
    members that kind (a person who happened to walk only Pricing may land anywhere), and each journey's
    `who` segment its person's persona."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(5)
    rows, kinds = [], {}
    for number in range(300):
        kind = list(HABITS)[number % 3]
        person = f"person-{number:03d}"
        kinds[person] = kind
        for journey in range(int(rng.integers(1, 3))):
            events = [str(rng.choice(HABITS[kind])) for _ in range(int(rng.integers(2, 6)))]
            for step, event in enumerate(events):
                at = START + timedelta(days=3 * journey, minutes=10 * step + number)
                rows.append({"event_id": f"{person}-{journey}-{step}", "anonymous_id": person, "event": event,
                             "timestamp": at.isoformat()})
    events_file = tmp_path / "clickstream.jsonl"
    events_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    definition_file = tmp_path / "planted.yaml"
    definition_file.write_text(PLANTED)
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "clickstream", [events_file])
    identity.build_persons(con)
    run.mine_definition(con, definition.load(definition_file), tmp_path / "out")
    anonymous = dict(con.execute("select person_id, id_value from identities").fetchall())
    con.close()
    folder = tmp_path / "out" / "planted"
    personas = read(folder / "personas.csv")
    assert len(personas) == 3 and sum(int(p["persons"]) for p in personas) == 300
    members = pd.read_parquet(folder / "persona_members.parquet")
    planted = [kinds[anonymous[person]] for person in members["person_id"]]
    assert adjusted_rand_score(planted, members["persona"]) >= 0.9
    for persona in personas:
        of_persona = pd.Series([kinds[anonymous[p]] for p in members.loc[members["persona"] == int(persona["persona"]),
                                                                           "person_id"]])
        kind = of_persona.mode()[0]
        own = {"readers": {"Blog", "Docs"}, "watchers": {"Webinar", "Demo"}, "testers": {"Trial", "Order"}}[kind]
        assert own <= set(json.loads(persona["top_touchpoints"])), (kind, persona)
    segments = {r["value"]: r["journeys"] for r in read(folder / "segments.csv")}
    journeys = {p["persona"]: p["journeys"] for p in personas}
    assert segments == journeys
