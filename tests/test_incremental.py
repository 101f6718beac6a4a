"""The nightly run mines again only the persons a day touched, and its tables equal a full rebuild's:
on the bundled sample (three landing days) and on identities that merge between two days."""

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from journey_mining import db, definition, identity, ingest, mining, sql
from journey_mining.columns import SOURCES

REPOSITORY = Path(__file__).resolve().parent.parent
SAMPLES = REPOSITORY / "data_samples"
COMPARED = mining.PERSON_TABLES + mining.SUMMED_TABLES


def snapshot(con, name: str) -> dict[str, list[tuple]]:
    """Every row of the definition in every table mining writes (the run's time left out; a journey's key,
    which depends on when it was mined, read as its journey_id)."""
    rows = {}
    for table in COMPARED:
        query = f"select * from {table} as t where definition = ?"
        if table == "mining_runs":
            query = query.replace("*", "* exclude (mined_at)")
        elif table == "journeys":
            query = query.replace("*", "* exclude (journey_key)")
        elif table in mining.JOURNEY_TABLES:
            query = (f"select t.* exclude (journey_key), j.journey_id from {table} as t "
                     "join journeys as j using (journey_key) where t.definition = ?")
        rows[table] = sorted(con.execute(query, [name]).fetchall(), key=repr)
    return rows


def load(con, *folders: Path) -> None:
    for folder in folders:
        for source in SOURCES:
            if (folder / source).is_dir():
                ingest.ingest(con, source, [folder / source])
    identity.build_persons(con)


def remined(con, name: str) -> int | None:
    return con.execute("select remined_persons from mining_state where definition = ?", [name]).fetchone()[0]


@pytest.mark.slow
def test_mining_each_landing_day_incrementally_equals_mining_all_days_at_once(tmp_path, monkeypatch):
    days = sorted(path for path in (SAMPLES / "landing").iterdir() if path.is_dir())
    journeys = [definition.load(SAMPLES / "definitions" / f"{name}.yaml") for name in ("purchase", "service")]
    nightly = db.connect(tmp_path / "nightly.duckdb")
    touched = []
    for day in days:
        load(nightly, day)
        for journey in journeys:
            mining.mine(nightly, journey)
        touched.append(remined(nightly, "purchase"))
    rebuilt = db.connect(tmp_path / "rebuilt.duckdb")
    load(rebuilt, *days)
    monkeypatch.setattr(mining, "EVENTS_PER_PASS", 5_000)  # the full rebuild in passes, the nights in one
    for journey in journeys:
        mining.mine(rebuilt, journey, full=True)
        assert remined(rebuilt, journey.name) is None
        assert snapshot(nightly, journey.name) == snapshot(rebuilt, journey.name)
    persons = nightly.execute("select count(*) from persons").fetchone()[0]
    assert touched[0] is None and 0 < touched[1] < persons / 4 and 0 < touched[2] < persons / 4, (touched, persons)


GOLDEN = """\
name: golden
stages:
  - name: Awareness
    touchpoints:
      - {name: Blog, match: {event: page_view}}
  - name: Consideration
    touchpoints:
      - {name: Call, match: {object: call}}
  - name: Trial
    touchpoints:
      - {name: Signup, match: {event: signup}, goal: true}
funnels:
  - {name: blog_to_signup, steps: [Blog, Signup]}
"""


def test_persons_merged_by_a_later_day_are_mined_again_under_their_new_person(tmp_path):
    # Day 1: a visitor's device reads the blog; customer C-1 (user u1) has a call; person b reads the blog.
    # Day 2: the device signs up as u1, which makes one person of the device and the customer.
    day_1 = tmp_path / "landing" / "2026-09-01"
    day_2 = tmp_path / "landing" / "2026-09-02"
    write(day_1 / "clickstream" / "web.jsonl", [
        {"event_id": "w1", "anonymous_id": "anon-1", "event": "page_view", "timestamp": "2026-09-01T10:00:00Z"},
        {"event_id": "w2", "anonymous_id": "anon-b", "event": "page_view", "timestamp": "2026-09-01T11:00:00Z"}])
    write(day_1 / "crm" / "crm.jsonl", [
        {"event_id": "c1", "customer_id": "C-1", "user_id": "u1", "object": "call", "action": "completed",
         "timestamp": "2026-09-01T12:00:00Z"}])
    write(day_2 / "clickstream" / "web.jsonl", [
        {"event_id": "w3", "anonymous_id": "anon-1", "user_id": "u1", "event": "signup",
         "timestamp": "2026-09-02T09:00:00Z"}])
    (tmp_path / "golden.yaml").write_text(GOLDEN, encoding="utf-8")
    golden = definition.load(tmp_path / "golden.yaml")

    nightly = db.connect(tmp_path / "nightly.duckdb")
    load(nightly, day_1)
    mining.mine(nightly, golden)
    assert nightly.execute("select count(*) from journeys").fetchone() == (3,)  # three persons so far
    load(nightly, day_2)
    mining.mine(nightly, golden)
    # the device's former person and the customer's person (which the merged person keeps); not b
    assert remined(nightly, "golden") == 2
    assert sorted(nightly.execute("select path from journeys").fetchall()) == [("Blog",), ("Blog > Call > Signup",)]

    rebuilt = db.connect(tmp_path / "rebuilt.duckdb")
    load(rebuilt, day_1, day_2)
    mining.mine(rebuilt, golden)
    assert remined(rebuilt, "golden") is None  # the first run of a database mines everyone
    assert snapshot(nightly, "golden") == snapshot(rebuilt, "golden")


def test_another_definition_file_or_period_mines_everyone_again(tmp_path):
    day = tmp_path / "landing" / "2026-09-01"
    write(day / "clickstream" / "web.jsonl", [
        {"event_id": "w1", "anonymous_id": "anon-1", "event": "page_view", "timestamp": "2026-09-01T10:00:00Z"}])
    (tmp_path / "golden.yaml").write_text(GOLDEN, encoding="utf-8")
    con = db.connect(tmp_path / "journeys.duckdb")
    load(con, day)
    mining.mine(con, definition.load(tmp_path / "golden.yaml"))
    mining.mine(con, definition.load(tmp_path / "golden.yaml"))
    assert remined(con, "golden") == 0  # nothing new: nobody mined again, the sums made anew
    (tmp_path / "golden.yaml").write_text(GOLDEN.replace("[Blog, Signup]}", "[Blog, Signup], window: 1d}"), encoding="utf-8")
    mining.mine(con, definition.load(tmp_path / "golden.yaml"))
    assert remined(con, "golden") is None
    mining.mine(con, definition.load(tmp_path / "golden.yaml"), until=date(2026, 9, 30))
    assert remined(con, "golden") is None
    mining.mine(con, definition.load(tmp_path / "golden.yaml"), until=date(2026, 9, 30), full=True)
    assert remined(con, "golden") is None
    assert con.execute("select count(*) from journeys").fetchone() == (1,)


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_other_mining_code_mines_everyone_again(tmp_path, monkeypatch):
    """After an upgrade, no person's rows mined by the old code are summed with the new code's."""
    day = tmp_path / "landing" / "2026-09-01"
    write(day / "clickstream" / "web.jsonl", [
        {"event_id": "w1", "anonymous_id": "anon-1", "event": "page_view", "timestamp": "2026-09-01T10:00:00Z"}])
    (tmp_path / "golden.yaml").write_text(GOLDEN, encoding="utf-8")
    golden = definition.load(tmp_path / "golden.yaml")
    con = db.connect(tmp_path / "journeys.duckdb")
    load(con, day)
    mining.mine(con, golden)
    mining.mine(con, golden)
    assert remined(con, "golden") == 0

    upgraded = tmp_path / "upgraded_sql"  # the same SQL but one file, as a new version would bring
    shutil.copytree(sql.SQL_DIR, upgraded)
    changed = upgraded / "journeys" / "journeys.sql"
    changed.write_text(changed.read_text() + "\n-- changed\n")
    monkeypatch.setattr(sql, "SQL_DIR", upgraded)
    mining.mining_code_digest.cache_clear()
    mining.mine(con, golden)
    assert remined(con, "golden") is None
    mining.mine(con, golden)
    assert remined(con, "golden") == 0
    mining.mining_code_digest.cache_clear()


@pytest.mark.slow
def test_a_database_mined_by_an_earlier_version_gets_this_versions_tables_and_the_same_figures(tmp_path):
    days = sorted(path for path in (SAMPLES / "landing").iterdir() if path.is_dir())
    journey = definition.load(SAMPLES / "definitions" / "purchase.yaml")
    older = db.connect(tmp_path / "older.duckdb")
    load(older, *days)
    # the shapes earlier versions kept (path_steps a table; counts keyed by names; transitions in float seconds)
    older.execute("""create table journeys (journey_id varchar not null, person_id varchar not null,
        definition varchar not null, start_at timestamptz not null, end_at timestamptz not null, steps bigint not null,
        path varchar not null, furthest_stage varchar not null, converted boolean not null, conforms boolean not null)""")
    older.execute("""create table path_steps (definition varchar not null, journey_id varchar not null,
        step bigint not null, touchpoint varchar not null, stage varchar not null, step_at timestamptz not null)""")
    older.execute("""create table journey_touchpoints (definition varchar not null, person_id varchar not null,
        journey_id varchar not null, touchpoint varchar not null, events bigint not null,
        scored_events bigint not null, score_sum decimal(38, 18))""")
    older.execute("""create table journey_transitions (definition varchar not null, journey_key bigint not null,
        source_index smallint not null, target_index smallint not null, seconds double, first_on_edge boolean not null)""")
    older.execute("insert into path_steps values ('purchase', 'j', 1, 'Blog', 'Awareness', now())")
    mining.mine(older, journey)
    kinds = dict(older.execute("select table_name, table_type from information_schema.tables where table_name in "
                               "('path_steps', 'journey_steps', 'journey_touchpoints')").fetchall())
    assert kinds == {"path_steps": "VIEW", "journey_steps": "BASE TABLE", "journey_touchpoints": "BASE TABLE"}
    assert older.execute("select count(*) from information_schema.columns "
                         "where table_name = 'journey_transitions' and column_name = 'micros'").fetchone() == (1,)
    fresh = db.connect(tmp_path / "fresh.duckdb")
    load(fresh, *days)
    mining.mine(fresh, journey)
    assert snapshot(older, journey.name) == snapshot(fresh, journey.name)
    assert older.execute("select count(*) from path_steps").fetchone() == fresh.execute(
        "select count(*) from path_steps").fetchone()
