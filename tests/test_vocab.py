"""`journeys vocab`: what the loaded events hold, counted by hand on a small set, and a starter definition
that mines the bundled samples without an unmatched touchpoint."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from journey_mining import definition, identity, vocab

JOURNEYS = [sys.executable, "-m", "journey_mining.cli"]
SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"

CLICKS = [
    {"event_id": "c1", "anonymous_id": "a1", "timestamp": "2024-03-01T10:00:00Z", "event": "page_view",
     "page_url": "https://x.com/blog/a?utm_source=ads#top", "properties": {"product": "pro", "device": "m"}},
    {"event_id": "c2", "anonymous_id": "a1", "timestamp": "2024-03-01T10:01:00Z", "event": "page_view",
     "page_url": "/blog/b/c#frag", "properties": {"product": "basic"}},
    # the query and the fragment hold a /blog/ path: only the path part counts
    {"event_id": "c3", "anonymous_id": "a2", "timestamp": "2024-03-01T10:02:00Z", "event": "page_view",
     "page_url": "https://x.com/pricing?next=/blog/y"},
    {"event_id": "c4", "anonymous_id": "a2", "timestamp": "2024-03-01T10:03:00Z", "event": "page_view",
     "page_url": "/pricing#/blog/z"},
    {"event_id": "c5", "anonymous_id": "a2", "timestamp": "2024-03-01T10:04:00Z", "event": "signup",
     "page_url": "https://x.com/welcome", "region": "EU"},  # an extra column: a property key
    {"event_id": "c6", "anonymous_id": "a3", "timestamp": "2024-03-01T10:05:00Z", "event": "page_view"},
    # an empty path and one holding `*`: counted, but no glob of their own in a starter definition
    {"event_id": "c7", "anonymous_id": "a3", "timestamp": "2024-03-01T10:06:00Z", "event": "page_view",
     "page_url": "https://x.com?q=1"},
    {"event_id": "c8", "anonymous_id": "a3", "timestamp": "2024-03-01T10:07:00Z", "event": "page_view",
     "page_url": "/a*b"},
]
CRM = [
    {"event_id": "r1", "customer_id": "k1", "timestamp": "2024-03-02T10:00:00Z", "object": "order",
     "action": "created", "channel": "web"},
    {"event_id": "r2", "customer_id": "k1", "timestamp": "2024-03-02T11:00:00Z", "object": "survey",
     "action": "answered", "channel": "email", "score": 9, "properties": {"score_kind": "nps"}},
    {"event_id": "r3", "customer_id": "k2", "timestamp": "2024-03-02T12:00:00Z", "object": "survey",
     "action": "answered", "channel": "email", "score": 4, "properties": {"score_kind": "csat"}},
    {"event_id": "r4", "customer_id": "k2", "timestamp": "2024-03-02T13:00:00Z", "object": "ticket",
     "action": "opened", "channel": "phone"},
    {"event_id": "r5", "customer_id": "k2", "timestamp": "2024-03-02T14:00:00Z", "object": "ticket",
     "action": "resolved", "channel": "phone"},
    {"event_id": "r6", "customer_id": "k3", "timestamp": "2024-03-02T15:00:00Z", "object": "survey",
     "action": "answered", "channel": "email", "score": 8, "properties": {"score_kind": "nps"}},
]


def journeys(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*JOURNEYS, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture
def loaded(con, landing, load):
    load("clickstream", landing.jsonl("clicks.jsonl", CLICKS))
    load("crm", landing.jsonl("crm.jsonl", CRM))
    identity.build_persons(con)
    return con


def counts(found: dict, kind: str) -> list[tuple]:
    return [(v.parent, v.value, v.events) if v.parent is not None else (v.value, v.events) for v in found[kind]]


def test_every_kind_is_counted_by_events_then_value(loaded):
    found = vocab.vocabulary(loaded)
    assert counts(found, "event") == [("page_view", 7), ("signup", 1)]
    # c1, c2 under /blog/*; c3, c4 are /pricing whatever their query or fragment; c6 has no URL
    assert counts(found, "url") == [("page_view", "/blog/*", 2), ("page_view", "/pricing", 2),
                                    ("page_view", "", 1), ("page_view", "/a*b", 1), ("signup", "/welcome", 1)]
    assert counts(found, "object") == [("survey", 3), ("ticket", 2), ("order", 1)]
    assert counts(found, "action") == [("survey", "answered", 3), ("order", "created", 1),
                                       ("ticket", "opened", 1), ("ticket", "resolved", 1)]
    assert counts(found, "channel") == [("email", 3), ("phone", 2), ("web", 1)]
    assert counts(found, "property_key") == [("score_kind", 3), ("product", 2), ("device", 1), ("region", 1)]
    assert counts(found, "score_kind") == [("nps", 2), ("csat", 1)]


def test_one_source_only(loaded):
    found = vocab.vocabulary(loaded, "crm")
    assert counts(found, "event") == [] and counts(found, "url") == []
    assert counts(found, "property_key") == [("score_kind", 3)]
    assert counts(vocab.vocabulary(loaded, "clickstream"), "channel") == []


def test_the_text_shows_a_heading_per_kind_and_at_most_the_limit(loaded):
    text = vocab.as_text(vocab.vocabulary(loaded), limit=2)
    assert "event names (2)\n  7  page_view\n  1  signup\n" in text
    assert "actions (by object) (4)\n  3  survey  answered\n  1  order   created\n  … 2 more\n" in text


def test_the_starter_definition_loads_with_a_touchpoint_per_value_and_order_created_as_goal(loaded, tmp_path):
    path = tmp_path / "starter.yaml"
    path.write_text(vocab.starter_definition(vocab.vocabulary(loaded)), encoding="utf-8")
    journey = definition.load(path)
    assert [(t.name, t.stage, t.goal) for t in journey.touchpoints] == [
        ("page_view /blog/*", "Stage 1", False),
        ("page_view /pricing", "Stage 1", False),
        ("page_view (other pages)", "Stage 1", False),  # c6, c7, c8: 7 page views, 4 in the groups above
        ("signup", "Stage 1", False),
        ("survey answered", "Stage 1", False),
        ("ticket opened", "Stage 1", False),
        ("ticket resolved", "Stage 1", False),
        ("order created", "Goal", True),
    ]
    assert journey.touchpoints[0].match.url == "/blog/*"
    assert journey.touchpoints[2].match.url is None


def test_without_an_order_the_goal_is_the_least_frequent_touchpoint_without_a_url(loaded, tmp_path):
    path = tmp_path / "starter.yaml"
    path.write_text(vocab.starter_definition(vocab.vocabulary(loaded, "clickstream"), "clickstream"),
                    encoding="utf-8")
    # `signup` (1 event) is rarer than `page_view (other pages)` (3: c6, c7, c8)
    assert [t.name for t in definition.load(path).touchpoints if t.goal] == ["signup"]


def test_names_from_the_data_are_made_valid_and_unique():
    taken: set[str] = set()
    assert vocab._unique_name("a > b\tc", taken) == "a › b?c"
    assert vocab._unique_name("a > b\tc", taken) == "a › b?c (2)"
    assert vocab._unique_name("(end)", taken) == "(end) touchpoint"
    assert len(vocab._unique_name("x" * 500, taken)) <= 200


def test_json_output_and_a_missing_database(loaded, db_path, tmp_path):
    loaded.close()
    done = journeys("vocab", "--db", db_path, "--json", "--source", "crm")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["action"][0] == {"object": "survey", "value": "answered", "events": 3}
    missing = journeys("vocab", "--db", tmp_path / "nothing.duckdb")
    assert missing.returncode == 1
    assert "no such database" in missing.stderr
    assert not (tmp_path / "nothing.duckdb").exists()


@pytest.mark.slow
def test_the_starter_definition_of_the_samples_mines_with_every_touchpoint_matched(tmp_path):
    database = tmp_path / "journeys.duckdb"
    for source in ("clickstream", "crm"):
        days = sorted((SAMPLES / "landing").glob(f"*/{source}"))
        assert len(days) == 3
        done = journeys("ingest", source, *days, "--db", database)
        assert done.returncode == 0, done.stderr
    starter = journeys("vocab", "--yaml", "--db", database)
    assert starter.returncode == 0, starter.stderr
    path = tmp_path / "starter.yaml"
    path.write_text(starter.stdout, encoding="utf-8")
    proposed = [t.name for t in definition.load(path).touchpoints]
    mined = journeys("mine", path, "--db", database, "--out", tmp_path / "out")
    assert mined.returncode == 0, mined.stderr
    assert "warning" not in mined.stderr
    summary = json.loads((tmp_path / "out" / "starter" / "summary.json").read_text())
    assert summary["journeys"] > 0
    assert summary["warnings"] == []
    touchpoints = (tmp_path / "out" / "starter" / "touchpoint_kpis.csv").read_text().splitlines()[1:]
    assert len(touchpoints) == len(proposed) > 20
