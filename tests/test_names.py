"""Names and property keys as written: any printable text mines, maps and comes out unchanged."""

import json
from datetime import datetime, timedelta, timezone

from journey_mining import db, definition, identity, ingest, mining

START = datetime(2026, 9, 1, tzinfo=timezone.utc)
# Property keys that a `$."key"` JSON path spells with escapes or that look like path syntax.
PROPERTY_KEYS = ["日本", "Übersicht", "a b", 'say "hi"', "it's", "d.ot", "back\\slash", "a/b", "til~de", "[0]",
                 "$", "tab\there"]


def test_properties_match_keys_in_any_script_with_spaces_quotes_dots_and_slashes(tmp_path):
    # One touchpoint per key, each taking events whose property under that key is "yes"; the scope
    # also asks for a non-ASCII key. Per key: one event that matches, one with "no" (unmapped); then an
    # event with `d` holding {"ot": "yes"} (a nested d.ot is not the key "d.ot": unmapped) and one
    # without the scope's key (out of scope).
    touchpoints = [f"      - {{name: {json.dumps(f'key {n}')}, match: {{properties: {{{json.dumps(key)}: 'yes'}}}}"
                   + (", goal: true}" if n == len(PROPERTY_KEYS) - 1 else "}") for n, key in enumerate(PROPERTY_KEYS)]
    path = tmp_path / "keys.yaml"
    path.write_text("name: keys\nscope:\n  properties: {製品: pro}\nstages:\n  - name: Only\n    touchpoints:\n"
                    + "\n".join(touchpoints) + "\n", encoding="utf-8")
    journey = definition.load(path)
    rows = []
    for n, key in enumerate(PROPERTY_KEYS):
        rows += [{"製品": "pro", key: "yes"}, {"製品": "pro", key: "no"}]
    rows += [{"製品": "pro", "d": {"ot": "yes"}}, {"日本": "yes"}]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(
        json.dumps({"event_id": f"e{n}", "anonymous_id": f"visitor{n}", "event": "page_view",
                    "timestamp": (START + timedelta(minutes=n)).isoformat(), "properties": properties}) + "\n"
        for n, properties in enumerate(rows)), encoding="utf-8")
    con = db.connect(tmp_path / "journeys.duckdb")
    ingest.ingest(con, "clickstream", [events])
    identity.build_persons(con)
    mining.mine(con, journey)
    counts = mining.event_counts(con, "keys")
    assert (counts.in_scope, counts.out_of_scope, counts.mapped, counts.unmapped) == (
        2 * len(PROPERTY_KEYS) + 1, 1, len(PROPERTY_KEYS), len(PROPERTY_KEYS) + 1)
    events_by_touchpoint = dict(con.execute(
        "select touchpoint, events from touchpoint_kpis where definition = 'keys'").fetchall())
    assert events_by_touchpoint == {f"key {n}": 1 for n in range(len(PROPERTY_KEYS))}
    con.close()
