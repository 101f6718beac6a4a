"""Ingest (SPEC section 1): every row loaded, counted as a duplicate or quarantined with its reason.

Expected counts are worked out by hand from the inputs written in each test; the comments number
the input lines so the arithmetic can be checked by eye.
"""

import json
import shutil
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from journey_mining.errors import JourneyError

DROP = object()  # a column the row does not have at all

CLICK = {"event_id": "e1", "anonymous_id": "a1", "timestamp": "2024-03-01T10:00:00Z", "event": "page_view"}
CRM = {"event_id": "c1", "customer_id": "cust-1", "timestamp": "2024-03-01T10:00:00Z",
       "object": "order", "action": "created"}


def click(**changes) -> dict:
    return _changed(CLICK, changes)


def crm(**changes) -> dict:
    return _changed(CRM, changes)


def _changed(row: dict, changes: dict) -> dict:
    changed = dict(row)
    for key, value in changes.items():
        if value is DROP:
            changed.pop(key, None)
        else:
            changed[key] = value
    return changed


def counts(result) -> list[tuple[int, int, int, int]]:
    return [(c.read, c.loaded, c.duplicates, c.quarantined) for c in result]


def quarantined(query) -> list[tuple[int, str]]:
    return query("select line, reason from quarantine order by file_id, line")


def assert_reconciled(query) -> None:
    """read = loaded + duplicates + quarantined for every file, and the tables hold what the counts say."""
    for file_id, read, loaded, duplicates, quarantine_rows in query(
            'select file_id, "read", loaded, duplicates, quarantined from ingested_files'):
        assert read == loaded + duplicates + quarantine_rows
        assert query("select count(*) from events where file_id = ?", [file_id]) == [(loaded,)]
        assert query("select count(*) from quarantine where file_id = ?", [file_id]) == [(quarantine_rows,)]


# --- every quarantine reason ------------------------------------------------------------------


def test_every_clickstream_reason_in_json_lines(landing, load, query):
    path = landing.jsonl("clicks.jsonl", [
        click(event_id="ok-1"),                                           # 1 loaded
        '{"event_id": "broken", "anonymous_id": "a1"',                    # 2 malformed line
        '["ok-1", "a1"]',                                                 # 3 malformed: JSON, not an object
        b'{"event_id": "latin1", "anonymous_id": "Jos\xe9", "timestamp": "2024-03-01T10:00:00Z", '
        b'"event": "page_view"}',                                         # 4 non-UTF-8 bytes
        "",                                                               # 5 blank: not a row
        click(event_id="no-ts", timestamp=DROP),                          # 6 missing timestamp
        click(event_id="blank-ts", timestamp="   "),                      # 7 missing timestamp
        click(event_id="bad-ts", timestamp="next tuesday"),               # 8 unparseable timestamp
        click(event_id=DROP),                                             # 9 missing event_id
        click(event_id=""),                                               # 10 missing event_id
        click(event_id="no-id", anonymous_id=DROP),                       # 11 no identity
        click(event_id="blank-ids", anonymous_id=" ", user_id=""),        # 12 no identity
        click(event_id="no-event", event=DROP),                           # 13 missing event
        click(event_id="future", timestamp="2024-06-02T00:00:01Z"),       # 14 far future (NOW + 1 day + 1 s)
        click(event_id="ok-1", event="signup"),                           # 15 conflicting duplicate of line 1
        click(event_id="ok-1"),                                           # 16 duplicate of line 1
        click(event_id="ok-2", anonymous_id=DROP, user_id="u1"),          # 17 loaded
    ])

    result = load("clickstream", path, quarantine_threshold=1.0)

    # 16 rows (17 lines less the blank one): loaded 1 and 17, duplicate 16, the other 13 quarantined
    assert counts(result) == [(16, 2, 1, 13)]
    assert quarantined(query) == [
        (2, "malformed line"), (3, "malformed line"), (4, "non-UTF-8 bytes"),
        (6, "missing timestamp"), (7, "missing timestamp"), (8, "unparseable timestamp"),
        (9, "missing event_id"), (10, "missing event_id"), (11, "no identity"), (12, "no identity"),
        (13, "missing event"), (14, "far future"), (15, "conflicting duplicate"),
    ]
    assert query("select event_id, event, line from events order by line") == [
        ("ok-1", "page_view", 1), ("ok-2", "page_view", 17)]
    raw = dict(query("select line, raw from quarantine"))
    assert raw[2] == '{"event_id": "broken", "anonymous_id": "a1"'
    assert json.loads(raw[15]) == click(event_id="ok-1", event="signup")
    assert '"latin1"' in raw[4]
    assert_reconciled(query)


def test_every_crm_reason_in_json_lines(landing, load, query):
    path = landing.jsonl("crm.jsonl", [
        crm(event_id="c-ok"),                                                  # 1 loaded
        crm(event_id="c-email", customer_id=DROP, email="bob@example.com"),    # 2 loaded: an email is an identity
        crm(event_id="c-user", customer_id=DROP, user_id="u1"),                # 3 loaded
        crm(event_id="c-none", customer_id=DROP, email="  "),                  # 4 no identity
        crm(event_id="c-no-object", object=DROP),                              # 5 missing object
        crm(event_id="c-neither", object="", action=DROP),                     # 6 missing object (object first)
        crm(event_id="c-no-action", action="   "),                             # 7 missing action
        crm(event_id="c-event", object=DROP, event="order"),                   # 8 missing object: `event` is not a CRM column
    ])

    result = load("crm", path, quarantine_threshold=1.0)

    assert counts(result) == [(8, 3, 0, 5)]
    assert quarantined(query) == [(4, "no identity"), (5, "missing object"), (6, "missing object"),
                                  (7, "missing action"), (8, "missing object")]
    assert_reconciled(query)


def test_first_reason_wins_when_a_row_has_several(landing, load, query):
    path = landing.jsonl("clicks.jsonl", [
        {"anonymous_id": "", "event": ""},                                      # 1 missing timestamp
        {"timestamp": "2024-02-30T10:00:00Z", "anonymous_id": "a1"},            # 2 unparseable timestamp
        {"timestamp": "2024-03-01T10:00:00Z"},                                  # 3 missing event_id
        {"event_id": "e4", "timestamp": "2030-01-01T00:00:00Z"},                # 4 no identity
        {"event_id": "e5", "anonymous_id": "a1", "timestamp": "2030-01-01T00:00:00Z"},  # 5 missing event
        b'{"event_id": "e6", "anonymous_id": "\xff"}',                          # 6 non-UTF-8 bytes
    ])
    crm_path = landing.jsonl("crm.jsonl", [
        crm(event_id="c1", customer_id=DROP, object=DROP, action=DROP),         # 1 no identity
        crm(event_id="c2", object=DROP, action=DROP, timestamp="2030-01-01"),   # 2 missing object
        crm(event_id="c3", action=DROP, timestamp="2030-01-01"),                # 3 missing action
    ])

    load("clickstream", path, quarantine_threshold=1.0)
    load("crm", crm_path, quarantine_threshold=1.0)

    assert quarantined(query) == [
        (1, "missing timestamp"), (2, "unparseable timestamp"), (3, "missing event_id"),
        (4, "no identity"), (5, "missing event"), (6, "non-UTF-8 bytes"),
        (1, "no identity"), (2, "missing object"), (3, "missing action"),
    ]


CSV_HEADER = "event_id,anonymous_id,user_id,timestamp,event,page_url\n"


def test_every_reason_in_csv_with_line_numbers_where_records_start(landing, load, query):
    content = (
        CSV_HEADER.encode()                                                       # 1 header
        + b"ok-1,a1,,2024-03-01T10:00:00Z,page_view,/home\n"                     # 2 loaded
        + b"extra,a1,,2024-03-01T10:00:00Z,page_view,/home,surplus\n"            # 3 malformed: 7 fields
        + b"fewer,a1,,2024-03-01T10:00:00Z,page_view\n"                          # 4 malformed: 5 fields
        + b"latin1,Jos\xe9,,2024-03-01T10:00:00Z,page_view,/home\n"              # 5 non-UTF-8 bytes
        + b'ok-2,a1,,2024-03-01T10:01:00Z,page_view,"/search?q=a,b\nsecond line"\n'  # 6-7 loaded, line 6
        + b"no-ts,a1,,,page_view,/home\n"                                         # 8 missing timestamp
        + b"bad-ts,a1,,01/03/2024,page_view,/home\n"                             # 9 unparseable timestamp
        + b",a1,,2024-03-01T10:00:00Z,page_view,/home\n"                         # 10 missing event_id
        + b"no-id,,,2024-03-01T10:00:00Z,page_view,/home\n"                      # 11 no identity
        + b'no-event,a1,,2024-03-01T10:00:00Z,,"/a,\n/b"\n'                      # 12-13 missing event, line 12
        + b"future,a1,,2024-06-02T00:00:01Z,page_view,/home\n"                   # 14 far future
        + b"ok-1,a1,,2024-03-01T10:00:00Z,signup,/home\n"                        # 15 conflicting duplicate
        + b"ok-1,a1,,2024-03-01T10:00:00Z,page_view,/home\n"                     # 16 duplicate
        + b'stray,"a1"x,,2024-03-01T10:00:00Z,page_view,/home\n'                 # 17 malformed: stray quote
        + b"ok-3,,u1,2024-03-01T10:02:00Z,page_view,/home\n"                     # 18 loaded
    )
    path = landing.raw("clicks.csv", content)

    result = load("clickstream", path, quarantine_threshold=1.0)

    # 15 records (18 lines, less the header, less the two continuation lines 7 and 13)
    assert counts(result) == [(15, 3, 1, 11)]
    assert quarantined(query) == [
        (3, "malformed line"), (4, "malformed line"), (5, "non-UTF-8 bytes"), (8, "missing timestamp"),
        (9, "unparseable timestamp"), (10, "missing event_id"), (11, "no identity"), (12, "missing event"),
        (14, "far future"), (15, "conflicting duplicate"), (17, "malformed line"),
    ]
    assert query("select event_id, line, page_url from events order by line") == [
        ("ok-1", 2, "/home"), ("ok-2", 6, "/search?q=a,b\nsecond line"), ("ok-3", 18, "/home")]
    raw = dict(query("select line, raw from quarantine"))
    assert raw[12] == 'no-event,a1,,2024-03-01T10:00:00Z,,"/a,\n/b"'
    assert raw[3] == "extra,a1,,2024-03-01T10:00:00Z,page_view,/home,surplus"
    assert_reconciled(query)


def test_every_crm_reason_in_csv(landing, load, query):
    path = landing.raw("crm.csv", (
        "event_id,customer_id,user_id,email,timestamp,object,action,amount\n"   # 1 header
        "c1,k1,,,2024-03-01T10:00:00Z,order,created,12.5\n"                    # 2 loaded
        "c2,,,Bob@Example.com,2024-03-01T10:00:00Z,ticket,resolved,\n"         # 3 loaded: an email is an identity
        "c3,,, ,2024-03-01T10:00:00Z,order,created,\n"                         # 4 no identity
        "c4,k1,,,2024-03-01T10:00:00Z,,created,\n"                             # 5 missing object
        "c5,k1,,,2024-03-01T10:00:00Z,order,  ,\n"                             # 6 missing action
        "c6,k1,,,2024-03-01T10:00:00Z,order,created\n"                         # 7 malformed: 7 fields
        ",k1,,,2024-03-01T10:00:00Z,order,created,\n"                          # 8 missing event_id
        "c8,k1,,,,order,created,\n"                                            # 9 missing timestamp
        "c9,k1,,,2024-02-30,order,created,\n"                                  # 10 unparseable timestamp
        "c10,k1,,,2024-06-03,order,created,\n"                                 # 11 far future
        "c1,k1,,,2024-03-01T10:00:00Z,order,won,12.5\n"                        # 12 conflicting duplicate
        "c1,k1,,,2024-03-01T10:00:00Z,order,created,12.50\n"                   # 13 duplicate: same amount
    ))

    assert counts(load("crm", path, quarantine_threshold=1.0)) == [(12, 2, 1, 9)]
    assert quarantined(query) == [
        (4, "no identity"), (5, "missing object"), (6, "missing action"), (7, "malformed line"),
        (8, "missing event_id"), (9, "missing timestamp"), (10, "unparseable timestamp"), (11, "far future"),
        (12, "conflicting duplicate")]
    assert_reconciled(query)


def test_csv_with_crlf_line_ends_and_a_byte_order_mark(landing, load, query):
    path = landing.raw("clicks.csv", (
        "\ufeff" + CSV_HEADER.replace("\n", "\r\n")
        + "e1,a1,,2024-03-01T10:00:00Z,page_view,\r\n"       # 2
        + "\r\n"                                              # 3 blank: not a record
        + 'e2,a1,,2024-03-01T10:00:00Z,page_view,"x\r\ny"\r\n'  # 4-5
        + "e3,a1,,2024-03-01T10:00:00Z,page_view,\r\n"       # 6
    ))

    assert counts(load("clickstream", path)) == [(3, 3, 0, 0)]
    assert query("select event_id, line, page_url from events order by line") == [
        ("e1", 2, None), ("e2", 4, "x\r\ny"), ("e3", 6, None)]


def test_json_lines_line_numbers_count_blank_lines(landing, load, query):
    path = landing.raw("clicks.jsonl", (
        json.dumps(click(event_id="e1")) + "\r\n"     # 1
        + "\n"                                        # 2 blank
        + "   \t\n"                                   # 3 whitespace only: blank
        + json.dumps(click(event_id="e2")) + "\n"     # 4
        + "{oops\n"                                   # 5 malformed
        + json.dumps(click(event_id="e3"))            # 6, no final newline
    ))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(4, 3, 0, 1)]
    assert query("select event_id, line from events order by line") == [("e1", 1), ("e2", 4), ("e3", 6)]
    assert query("select line, raw, reason from quarantine") == [(5, "{oops", "malformed line")]


# --- duplicates and conflicts -----------------------------------------------------------------


def test_duplicates_and_conflicts_within_a_file_across_files_and_across_runs(landing, load, query):
    first = landing.jsonl("a.jsonl", [
        click(event_id="e1", properties={"x": 1, "y": 2}),                        # 1 loaded
        {"properties": {"y": 2, "x": 1}, "event": "page_view", "event_id": "e1",  # 2 duplicate: same content
         "timestamp": "2024-03-01T11:00:00+01:00", "anonymous_id": "a1"},         #   (same instant, same JSON)
        click(event_id="e2", user_id=7000123),                                    # 3 loaded
        click(event_id="e2", user_id="7000123"),                                  # 4 duplicate: ids are text
        click(event_id="e3", page_url="/a"),                                      # 5 loaded
        click(event_id="e3", page_url="/b"),                                      # 6 conflict
    ])
    second = landing.jsonl("b.jsonl", [
        click(event_id="e1", properties={"x": 1, "y": 2}),                        # 1 duplicate of a.jsonl:1
        click(event_id="e3", page_url="/b"),                                      # 2 conflict with a.jsonl:5
        click(event_id="e4"),                                                     # 3 loaded
    ])
    later = landing.jsonl("c.jsonl", [
        click(event_id="e4"),                                                     # 1 duplicate, earlier run
        click(event_id="e2", user_id="7000123", event="signup"),                  # 2 conflict, earlier run
        click(event_id="e5"),                                                     # 3 loaded
    ])

    assert counts(load("clickstream", first, second, quarantine_threshold=1.0)) == [
        (6, 3, 2, 1), (3, 1, 1, 1)]
    assert counts(load("clickstream", later, quarantine_threshold=1.0)) == [(3, 1, 1, 1)]

    # the first row of each key stays as it was
    assert query("select event_id, event, page_url, user_id from events order by event_id") == [
        ("e1", "page_view", None, None), ("e2", "page_view", None, "7000123"),
        ("e3", "page_view", "/a", None), ("e4", "page_view", None, None), ("e5", "page_view", None, None)]
    assert query("select f.path, q.line, q.reason from quarantine q join ingested_files f using (file_id) "
                 "order by q.file_id, q.line") == [
        (str(first), 6, "conflicting duplicate"), (str(second), 2, "conflicting duplicate"),
        (str(later), 2, "conflicting duplicate")]
    assert_reconciled(query)


def test_a_difference_in_any_field_is_a_conflict(landing, load, query):
    base = crm(event_id="base", amount=10, properties={"k": "v"})
    rows = [base]
    variations = {
        "customer_id": "cust-2", "user_id": "u9", "email": "x@example.com", "timestamp": "2024-03-01T10:00:01Z",
        "object": "lead", "action": "won", "channel": "phone", "amount": 10.5, "score": 3,
        "properties": {"k": "w"}, "extra_column": "makes properties differ",
    }
    for key, value in variations.items():
        rows.append({**base, key: value})
    path = landing.jsonl("crm.jsonl", rows)

    assert counts(load("crm", path, quarantine_threshold=1.0)) == [(12, 1, 0, 11)]
    assert query("select distinct reason from quarantine") == [("conflicting duplicate",)]


def test_the_same_event_id_in_clickstream_and_crm_are_different_keys(landing, load, query):
    clicks = landing.jsonl("clicks.jsonl", [click(event_id="42")])
    sales = landing.jsonl("crm.jsonl", [crm(event_id="42")])

    assert counts(load("clickstream", clicks)) == [(1, 1, 0, 0)]
    assert counts(load("crm", sales)) == [(1, 1, 0, 0)]
    assert query("select source, event_id from events order by source") == [
        ("clickstream", "42"), ("crm", "42")]


# --- columns ----------------------------------------------------------------------------------


def test_csv_columns_out_of_order_and_extra_columns_into_properties(landing, load, query):
    path = landing.csv("clicks.csv", ["device", "event", "timestamp", "properties", "anonymous_id",
                                      "campaign_cost", "event_id"], [
        ["android", "page_view", "2024-03-01T10:00:00Z", '{"device": "ios", "plan": "pro"}', "a1", "", "e1"],
        ["android", "signup", "2024-03-01T10:05:00Z", "", "a1", "  ", "e2"],
        ["", "page_view", "2024-03-01T10:06:00Z", "", "a1", "12.5", "e3"],
        ["", "page_view", "2024-03-01T10:07:00Z", "", "a1", "", "e4"],
    ])

    assert counts(load("clickstream", path)) == [(4, 4, 0, 0)]
    stored = {event_id: (event, anonymous_id, properties and json.loads(properties))
              for event_id, event, anonymous_id, properties in query(
                  "select event_id, event, anonymous_id, properties from events")}
    # e1: the key already in properties wins over the extra column; the empty cell is dropped
    assert stored["e1"] == ("page_view", "a1", {"device": "ios", "plan": "pro"})
    # e2: a whitespace-only cell counts as missing, so it is dropped too
    assert stored["e2"] == ("signup", "a1", {"device": "android"})
    assert stored["e3"][2].keys() == {"campaign_cost"}
    assert str(stored["e3"][2]["campaign_cost"]) == "12.5"
    assert stored["e4"][2] in (None, {})


def test_json_extra_keys_into_properties(landing, load, query):
    path = landing.jsonl("clicks.jsonl", [
        click(event_id="e1", plan={"tier": "pro"}, seats=3, note="", gone=None),
        click(event_id="e2", seats=3, properties={"seats": 5, "colour": "red"}),
        click(event_id="e3", properties='{"a": [1, 2]}'),
    ])

    load("clickstream", path)

    stored = {event_id: json.loads(properties)
              for event_id, properties in query("select event_id, properties from events")}
    assert stored == {"e1": {"plan": {"tier": "pro"}, "seats": 3}, "e2": {"seats": 5, "colour": "red"},
                      "e3": {"a": [1, 2]}}


def test_column_names_are_case_sensitive(landing, load, query):
    path = landing.jsonl("clicks.jsonl", [
        {"Event_ID": "e1", "anonymous_id": "a1", "timestamp": "2024-03-01T10:00:00Z", "event": "page_view"},
        {"event_id": "e2", "anonymous_id": "a1", "timestamp": "2024-03-01T10:00:00Z", "Event": "page_view"},
        {"event_id": "e3", "Anonymous_Id": "a1", "timestamp": "2024-03-01T10:00:00Z", "event": "page_view"},
    ])

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(3, 0, 0, 3)]
    assert quarantined(query) == [(1, "missing event_id"), (2, "missing event"), (3, "no identity")]


def test_identifiers_written_as_json_numbers_equal_the_same_text_in_csv(landing, load, query):
    as_numbers = landing.jsonl("crm.jsonl", [
        crm(event_id=1001, customer_id=7000123, user_id=55),
    ])
    as_text = landing.csv("crm.csv", ["event_id", "customer_id", "user_id", "timestamp", "object", "action"], [
        ["1001", "7000123", "55", "2024-03-01T10:00:00Z", "order", "created"],   # same key, same content
        ["1002", "7000123", "55", "2024-03-01T10:00:00Z", "order", "created"],
    ])

    assert counts(load("crm", as_numbers, as_text)) == [(1, 1, 0, 0), (2, 1, 1, 0)]
    assert query("select event_id, customer_id, user_id from events order by event_id") == [
        ("1001", "7000123", "55"), ("1002", "7000123", "55")]


def test_unparseable_amount_or_score_is_missing_and_the_row_stays(landing, load, query):
    path = landing.csv("crm.csv", ["event_id", "customer_id", "timestamp", "object", "action", "amount", "score"], [
        ["c1", "k1", "2024-03-01T10:00:00Z", "order", "created", "12.50", "4"],
        ["c2", "k1", "2024-03-01T10:00:00Z", "order", "created", "12,50", "four"],
        ["c3", "k1", "2024-03-01T10:00:00Z", "order", "created", "", " "],
        ["c4", "k1", "2024-03-01T10:00:00Z", "order", "created", "-3e2", "0"],
    ])
    numbers = landing.jsonl("crm.jsonl", [crm(event_id="c5", amount=99, score=4.5),
                                          crm(event_id="c6", amount="abc", score=None)])

    assert counts(load("crm", path, numbers)) == [(4, 4, 0, 0), (2, 2, 0, 0)]
    assert query("select event_id, amount, score from events order by event_id") == [
        ("c1", 12.5, 4.0), ("c2", None, None), ("c3", None, None), ("c4", -300.0, 0.0),
        ("c5", 99.0, 4.5), ("c6", None, None)]


@pytest.mark.parametrize("blank", [" ", "   ", "\t", " \t\n "], ids=["space", "spaces", "tab", "mixed"])
def test_whitespace_only_values_count_as_missing(landing, load, query, blank):
    path = landing.jsonl("clicks.jsonl", [
        click(event_id="e1", user_id=blank, page_url=blank, referrer=blank, utm_source=blank,
              utm_medium=blank, utm_campaign=blank),                     # 1 loaded, every optional column missing
        click(event_id="e2", anonymous_id=blank),                        # 2 no identity
        click(event_id="e3", event=blank),                               # 3 missing event
        click(event_id=blank),                                           # 4 missing event_id
        click(event_id="e5", timestamp=blank),                           # 5 missing timestamp
    ])

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(5, 1, 0, 4)]
    assert query("select user_id, page_url, referrer, utm_source, utm_medium, utm_campaign from events") == [
        (None, None, None, None, None, None)]
    assert quarantined(query) == [(2, "no identity"), (3, "missing event"), (4, "missing event_id"),
                                  (5, "missing timestamp")]


# --- emails -----------------------------------------------------------------------------------


def test_emails_are_trimmed_lower_cased_and_hashed(landing, load, query, email_hash):
    path = landing.jsonl("crm.jsonl", [
        crm(event_id="c1", customer_id=DROP, email=" Alice@Example.COM "),
        crm(event_id="c2", customer_id=DROP, email="alice@example.com"),
        crm(event_id="c3", customer_id=DROP, email="bob@example.com"),
    ])

    load("crm", path)

    expected = email_hash("alice@example.com")
    assert expected == email_hash(" Alice@Example.COM ")  # the reference itself trims and lower-cases
    assert query("select event_id, email_hash from events order by event_id") == [
        ("c1", expected), ("c2", expected), ("c3", email_hash("bob@example.com"))]


def test_emails_are_trimmed_of_any_whitespace(landing, load, query, email_hash):
    path = landing.jsonl("crm.jsonl", [crm(event_id="c1", customer_id=DROP, email="\talice@example.com\n")])

    load("crm", path)

    assert query("select email_hash from events") == [(email_hash("alice@example.com"),)]


def test_no_email_address_is_stored_in_clear_anywhere(landing, load, query, con, email_hash):
    address = "alice@example.com"
    rows = landing.jsonl("crm.jsonl", [
        crm(event_id="c1", email="Alice@Example.com"),                              # 1 loaded
        crm(event_id="c2", email=address, object=DROP),                             # 2 missing object
        crm(event_id="c1", email=address, action="won"),                            # 3 conflict
        f'{{"event_id": "c4", "email": "{address}"',                                # 4 malformed
        crm(event_id="c5", email=address, timestamp="2031-01-01T00:00:00Z"),        # 5 far future
    ])
    csv_rows = landing.raw("crm.csv", (
        b"event_id,email,timestamp,object,action\n"
        + b"c6,ALICE@example.com,2024-03-01T10:00:00Z,order,created\n"              # 2 loaded
        + b"c7,alice@example.com,2024-03-01T10:00:00Z,ord\xe9r,created\n"           # 3 non-UTF-8
        + b"c8,alice@example.com,2024-03-01T10:00:00Z,order\n"                      # 4 malformed
    ))
    parquet = landing.parquet("crm.parquet", {
        "event_id": ["c9", "c10"], "email": [address, address],
        "timestamp": ["2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"],
        "object": ["order", None], "action": ["created", "created"],               # row 2: missing object
    })

    load("crm", rows, csv_rows, parquet, quarantine_threshold=1.0)
    load("crm", parquet, quarantine_threshold=1.0)  # loaded before: nothing new, still nothing in clear

    # loaded: jsonl 1, csv line 2, parquet row 1; quarantined: jsonl 2-5, csv lines 3-4, parquet row 2
    assert query("select count(*) from events") == [(3,)]
    assert query("select count(*) from quarantine") == [(7,)]
    # every text column of every table and view kept in the database file
    text_columns = query(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and data_type in ('VARCHAR', 'JSON')")
    assert ("quarantine", "raw") in text_columns and ("events", "properties") in text_columns
    for table, column in text_columns:
        hits = query(f'select count(*) from "{table}" where "{column}"::varchar ilike ?', [f"%{address}%"])
        assert hits == [(0,)], f"{table}.{column} holds the address in clear"
    # quarantined raw text keeps the row readable, with the address replaced by its hash
    for (raw,) in query("select raw from quarantine"):
        assert f"email:{email_hash(address)}" in raw


@pytest.mark.parametrize("address", ["Alice.Smith@Example.com", "jürgen.müller@beispiel.de", "anna@bücher.de"],
                         ids=["ascii", "non-ascii local part", "non-ascii domain"])
def test_a_quarantined_row_keeps_no_part_of_its_email_in_clear(landing, load, query, email_hash, address):
    path = landing.raw("crm.jsonl", json.dumps(crm(email=address, object=DROP), ensure_ascii=False) + "\n")

    load("crm", path, quarantine_threshold=1.0)

    (raw, reason), = query("select raw, reason from quarantine")
    assert reason == "missing object"
    first_name = address.split("@")[0].split(".")[0].lower()  # alice, jürgen, anna
    assert first_name not in raw.lower()
    assert f"email:{email_hash(address)}" in raw


# --- formats ----------------------------------------------------------------------------------


def test_gzip_json_lines_and_csv(landing, load, query):
    jsonl = landing.jsonl("day/clicks.jsonl.gz", [click(event_id="e1"), "", click(event_id="e2")])
    csv_gz = landing.raw("day/clicks.csv.gz", CSV_HEADER + "e3,a1,,2024-03-01T10:00:00Z,page_view,/x\n")
    plain_json = landing.jsonl("day/more.json", [click(event_id="e4")])

    assert counts(load("clickstream", jsonl, csv_gz, plain_json)) == [(2, 2, 0, 0), (1, 1, 0, 0), (1, 1, 0, 0)]
    assert query("select event_id, line from events order by event_id") == [
        ("e1", 1), ("e2", 3), ("e3", 2), ("e4", 1)]


def test_parquet_with_exactly_the_spec_columns(landing, load, query, email_hash):
    path = landing.parquet("crm.parquet", pa.table({
        "event_id": ["c1", "c2", "c3"],
        "customer_id": pa.array([7000123, None, 7000124], pa.int64()),
        "user_id": [None, "u2", None],
        "email": [None, " Bob@Example.com", None],
        "timestamp": ["2024-03-01T10:00:00Z", "2024-03-01 11:00:00+01", "1709287200000"],
        "object": ["order", "ticket", None],
        "action": ["created", "resolved", "created"],
        "channel": ["store", None, None],
        "amount": [12.5, None, 3.0],
        "score": pa.array([None, 4, None], pa.int64()),
        "properties": ['{"basket": 2}', None, None],
    }))

    assert counts(load("crm", path, quarantine_threshold=1.0)) == [(3, 2, 0, 1)]
    stored = query("select event_id, customer_id, user_id, email_hash, occurred_at = '2024-03-01 10:00:00+00', "
                   "object, action, channel, amount, score, line, properties from events order by line")
    assert [row[:-1] for row in stored] == [
        ("c1", "7000123", None, None, True, "order", "created", "store", 12.5, None, 1),
        ("c2", None, "u2", email_hash("bob@example.com"), True, "ticket", "resolved", None, None, 4.0, 2)]
    assert json.loads(stored[0][-1]) == {"basket": 2} and stored[1][-1] is None
    (line, raw, reason), = query("select line, raw, reason from quarantine")
    assert (line, reason) == (3, "missing object")
    assert json.loads(raw)["event_id"] == "c3"


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
def test_parquet_rows_are_numbered_across_row_groups(landing, load, query, extra_column):
    columns = {
        "event_id": [f"e{n}" for n in range(1, 8)],
        "anonymous_id": ["a1"] * 7,
        "timestamp": ["2024-03-01T10:00:00Z"] * 7,
        "event": ["page_view", "page_view", "page_view", None, "page_view", "page_view", None],
    }
    if extra_column:
        columns["device"] = ["ios"] * 7
    path = landing.root / "clicks.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path, row_group_size=2)  # groups of rows 1-2, 3-4, 5-6, 7

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(7, 5, 0, 2)]
    assert quarantined(query) == [(4, "missing event"), (7, "missing event")]
    assert query("select event_id, line from events order by line") == [
        ("e1", 1), ("e2", 2), ("e3", 3), ("e5", 5), ("e6", 6)]


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
def test_parquet_numbers_of_any_type(landing, load, query, extra_column):
    columns = {
        "event_id": ["c1", "c2"],
        # pandas writes an integer column with gaps as float64: 7000123.0 is the identifier "7000123"
        "customer_id": pa.array([7000123.0, None], pa.float64()),
        "user_id": pa.array([None, 55], pa.int32()),
        "timestamp": ["2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"],
        "object": ["order", "order"],
        "action": ["created", "created"],
        "amount": pa.array([Decimal("12.50"), Decimal("0.99")], pa.decimal128(10, 2)),  # money as decimal
        "score": pa.array([4, None], pa.int8()),
    }
    if extra_column:
        columns["store"] = ["Berlin", "Hamburg"]
    path = landing.parquet("crm.parquet", pa.table(columns))

    assert counts(load("crm", path)) == [(2, 2, 0, 0)]
    assert query("select event_id, customer_id, user_id, amount, score from events order by line") == [
        ("c1", "7000123", None, 12.5, 4.0), ("c2", None, "55", 0.99, None)]


def test_parquet_with_extra_columns(landing, load, query):
    path = landing.parquet("clicks.parquet", pa.table({
        "event": ["page_view", "signup"],
        "event_id": ["e1", "e2"],
        "anonymous_id": ["a1", "a1"],
        "timestamp": ["2024-03-01T10:00:00Z", "2024-03-01T10:05:00Z"],
        "device": ["ios", None],
        "seats": pa.array([3, 4], pa.int64()),
    }))

    assert counts(load("clickstream", path)) == [(2, 2, 0, 0)]
    assert [(e, json.loads(p)) for e, p in query("select event_id, properties from events order by line")] == [
        ("e1", {"device": "ios", "seats": 3}), ("e2", {"seats": 4})]


SEGMENT_PAGE = {
    "messageId": "m1", "anonymousId": "anon-1", "userId": "u1", "type": "page",
    "timestamp": "2024-03-01T10:00:00Z", "sentAt": "2024-03-01T10:00:01Z",
    "properties": {"title": "Pricing"},
    "context": {"page": {"url": "https://shop.test/pricing"}, "userAgent": "Mozilla/5.0",
                "campaign": {"source": "newsletter", "medium": "email", "name": "spring"}},
}


def test_segment_rows_are_recognised_row_by_row(landing, load, query):
    path = landing.jsonl("segment.jsonl", [
        SEGMENT_PAGE,                                                                           # 1
        {"messageId": "m2", "anonymousId": "anon-1", "type": "track", "event": "Signed Up",
         "timestamp": "2024-03-01T10:02:00Z"},                                                  # 2
        click(event_id="e3", anonymous_id="anon-1"),                                            # 3 our own form
        {"messageId": "m4", "type": "page", "timestamp": "2024-03-01T10:03:00Z"},              # 4 no identity
    ])

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(4, 3, 0, 1)]
    assert query("select event_id, anonymous_id, user_id, event, page_url, utm_source, utm_medium, "
                 "utm_campaign from events order by line") == [
        ("m1", "anon-1", "u1", "page_view", "https://shop.test/pricing", "newsletter", "email", "spring"),
        ("m2", "anon-1", None, "Signed Up", None, None, None, None),
        ("e3", "anon-1", None, "page_view", None, None, None, None)]
    properties = json.loads(query("select properties from events where event_id = 'm1'")[0][0])
    assert properties["title"] == "Pricing"
    assert properties["sentAt"] == "2024-03-01T10:00:01Z"
    assert properties["context"]["userAgent"] == "Mozilla/5.0"
    assert "https://shop.test/pricing" not in json.dumps(properties)  # moved to page_url, not copied
    assert quarantined(query) == [(4, "no identity")]


def test_segment_rows_in_parquet(landing, load, query):
    path = landing.parquet("segment.parquet", pa.Table.from_pylist([
        {k: v for k, v in SEGMENT_PAGE.items() if k not in ("properties", "sentAt")},
        {**{k: v for k, v in SEGMENT_PAGE.items() if k not in ("properties", "sentAt")},
         "messageId": "m2", "userId": None, "type": "track",
         "context": {"page": {"url": "/plans"}, "userAgent": None,
                     "campaign": {"source": None, "medium": None, "name": None}}},
    ]))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(2, 1, 0, 1)]
    assert query("select event_id, anonymous_id, user_id, event, page_url, utm_source, utm_medium, "
                 "utm_campaign, line from events") == [
        ("m1", "anon-1", "u1", "page_view", "https://shop.test/pricing", "newsletter", "email", "spring", 1)]
    assert quarantined(query) == [(2, "missing event")]  # a track call without an event name


# --- reconciliation and the quarantine threshold ----------------------------------------------


def test_exactly_at_the_threshold_passes(landing, load, query):
    # 20 rows, 1 quarantined: 5 % is not above 5 %
    rows = [click(event_id=f"e{i}") for i in range(19)] + [click(event_id="bad", timestamp="never")]
    path = landing.jsonl("clicks.jsonl", rows)

    assert counts(load("clickstream", path)) == [(20, 19, 0, 1)]
    assert_reconciled(query)


def test_above_the_threshold_the_run_fails_naming_the_file_and_loads_nothing(landing, load, query, con, snapshot):
    earlier = landing.jsonl("earlier.jsonl", [click(event_id="old")])
    load("clickstream", earlier)
    before = snapshot(con)
    good = landing.jsonl("run/a_good.jsonl", [click(event_id=f"g{i}") for i in range(10)])
    # 20 rows, 2 quarantined (a conflict counts as quarantined): 10 % > 5 %
    bad = landing.jsonl("run/b_bad.jsonl", [click(event_id=f"b{i}") for i in range(18)]
                        + [click(event_id="b0", event="signup"), "not json"])

    with pytest.raises(JourneyError) as failure:
        load("clickstream", good, bad)

    message = str(failure.value)
    assert str(bad) in message and str(good) not in message
    assert "\n" not in message
    assert snapshot(con) == before
    # the connection is usable afterwards and a passing run still loads
    assert counts(load("clickstream", good)) == [(10, 10, 0, 0)]


def test_threshold_is_a_parameter(landing, load):
    # two files with 2 of 10 rows quarantined: 20 %
    passing = landing.jsonl("a.jsonl", [click(event_id=f"a{i}") for i in range(8)] + ["x", "y"])
    failing = landing.jsonl("b.jsonl", [click(event_id=f"b{i}") for i in range(8)] + ["x", "y"])

    assert counts(load("clickstream", passing, quarantine_threshold=0.2)) == [(10, 8, 0, 2)]
    with pytest.raises(JourneyError, match="b.jsonl"):
        load("clickstream", failing, quarantine_threshold=0.19)


def test_a_connection_whose_first_run_failed_can_ingest_again(landing, load, query):
    bad = landing.jsonl("bad.jsonl", ["not json", click(event_id="e1")])
    good = landing.jsonl("good.jsonl", [click(event_id="e2")])

    with pytest.raises(JourneyError, match="bad.jsonl"):
        load("clickstream", bad)

    assert counts(load("clickstream", good)) == [(1, 1, 0, 0)]
    assert query("select event_id from events") == [("e2",)]


def test_reconciliation_across_many_files(landing, load, query):
    for day in range(3):
        landing.jsonl(f"days/2024-03-0{day + 1}.jsonl", [
            click(event_id=f"d{day}-1"), click(event_id=f"d{day}-1"), click(event_id="shared"),
            click(event_id=f"d{day}-bad", timestamp="garbage"), click(event_id=f"d{day}-2")])

    result = load("clickstream", landing.root / "days", quarantine_threshold=1.0)

    # each day: d-1 loaded then duplicated, "shared" loaded on day 1 and a duplicate after, 1 bad, d-2 loaded
    assert counts(result) == [(5, 3, 1, 1), (5, 2, 2, 1), (5, 2, 2, 1)]
    assert query('select sum("read"), sum(loaded), sum(duplicates), sum(quarantined) from ingested_files') == [
        (15, 7, 5, 3)]
    assert query("select count(*) from events") == [(7,)]
    assert_reconciled(query)


# --- folders and idempotence ------------------------------------------------------------------


def test_folders_are_read_recursively_in_sorted_path_order(landing, load, query):
    landing.jsonl("drop/b/2.jsonl", [click(event_id="e1", event="third")])
    landing.jsonl("drop/a.jsonl", [click(event_id="e1", event="first")])
    landing.jsonl("drop/b/1.jsonl", [click(event_id="e1", event="second"), click(event_id="e2")])

    result = load("clickstream", landing.root / "drop", quarantine_threshold=1.0)

    root = landing.root / "drop"
    assert [c.path for c in result] == [str(root / "a.jsonl"), str(root / "b" / "1.jsonl"),
                                        str(root / "b" / "2.jsonl")]
    assert counts(result) == [(1, 1, 0, 0), (2, 1, 0, 1), (1, 0, 0, 1)]
    assert query("select event from events where event_id = 'e1'") == [("first",)]


def test_loading_the_same_file_twice_changes_nothing(landing, load, con, snapshot):
    path = landing.jsonl("clicks.jsonl", [click(event_id="e1"), click(event_id="e1"), "junk",
                                          click(event_id="e2")] + [click(event_id=f"f{i}") for i in range(20)])
    first = load("clickstream", path)
    before = snapshot(con)

    again = load("clickstream", path)

    assert counts(first) == counts(again) == [(24, 22, 1, 1)]
    assert [c.already_loaded for c in first] == [False]
    assert [c.already_loaded for c in again] == [True]
    assert snapshot(con) == before


def test_loading_the_same_folder_twice_changes_nothing(landing, load, con, snapshot):
    landing.jsonl("drop/a.jsonl", [click(event_id="e1")])
    landing.csv("drop/sub/b.csv", ["event_id", "anonymous_id", "timestamp", "event"],
                [["e2", "a2", "2024-03-01", "signup"]])
    first = load("clickstream", landing.root / "drop")
    before = snapshot(con)

    again = load("clickstream", landing.root / "drop")

    assert counts(first) == counts(again) == [(1, 1, 0, 0), (1, 1, 0, 0)]
    assert [c.already_loaded for c in again] == [True, True]
    assert snapshot(con) == before


def test_the_same_content_under_another_name_is_loaded_before(landing, load, con, snapshot):
    original = landing.jsonl("export.jsonl", [click(event_id="e1"), click(event_id="e2")])
    copy = landing.root / "copy of export.jsonl"
    shutil.copyfile(original, copy)
    load("clickstream", original)
    before = snapshot(con)

    again = load("clickstream", copy)

    assert counts(again) == [(2, 2, 0, 0)]
    assert [c.already_loaded for c in again] == [True]
    assert snapshot(con) == before


def test_the_same_content_twice_in_one_run_is_loaded_once(landing, load, query):
    original = landing.jsonl("a.jsonl", [click(event_id="e1")])
    copy = landing.root / "b.jsonl"
    shutil.copyfile(original, copy)

    result = load("clickstream", original, copy)

    assert counts(result) == [(1, 1, 0, 0), (1, 1, 0, 0)]
    assert [c.already_loaded for c in result] == [False, True]
    assert query("select count(*) from events") == [(1,)]
    assert query("select count(*) from ingested_files") == [(1,)]


def test_the_same_file_for_the_other_source_is_a_new_file(landing, load, query):
    # one file may carry both sources' columns; each source reads it once
    path = landing.jsonl("both.jsonl", [{**click(event_id="x1"), **crm(event_id="x1")}])

    assert counts(load("clickstream", path)) == [(1, 1, 0, 0)]
    assert counts(load("crm", path)) == [(1, 1, 0, 0)]
    assert query("select source from events order by source") == [("clickstream",), ("crm",)]


# --- usage errors -----------------------------------------------------------------------------


def test_a_missing_path_is_named(landing, load, tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    with pytest.raises(JourneyError, match="nowhere.jsonl"):
        load("clickstream", missing)


def test_an_unknown_source_or_time_zone_is_refused(landing, load, query):
    path = landing.jsonl("clicks.jsonl", [click()])
    with pytest.raises(JourneyError, match="weblogs"):
        load("weblogs", path)
    with pytest.raises(JourneyError, match="Mars/Olympus"):
        load("clickstream", path, tz="Mars/Olympus")
    assert query("select count(*) from ingested_files") == [(0,)]
