"""Hostile rows (SPEC section 1): one crafted row is quarantined or loaded like any other row, in every
reader, and never fails the run or its file.

Each file holds good rows around the hostile one; the expected counts and lines are worked out by hand
from the rows written in the test.
"""

import json
from datetime import datetime, timezone

import pyarrow as pa
import pytest

CSV_HEADER = "event_id,anonymous_id,user_id,timestamp,event,page_url"


def counts(result) -> list[tuple[int, int, int, int]]:
    return [(c.read, c.loaded, c.duplicates, c.quarantined) for c in result]


# --- CSV line endings and long lines ------------------------------------------------------------


def test_csv_with_bare_cr_line_ends_is_read_line_by_line(landing, load, query):
    path = landing.raw("clicks.csv", (
        CSV_HEADER + "\r"                                        # 1 header
        + "e1,a1,,2024-03-01T10:00:00Z,page_view,/home\r"         # 2 loaded
        + "e2,a1,,never,page_view,/home\r"                        # 3 unparseable timestamp
        + 'e3,a1,,2024-03-01T10:00:00Z,page_view,"/a\rb"\r'       # 4-5 loaded, line 4
        + "\r"                                                    # 6 blank: not a record
        + "e4,,u1,2024-03-01T10:00:00Z,page_view,\n"              # 7 loaded (an LF ends this one)
        + "e5,a1,,2024-03-01T10:00:00Z,page_view,/end\r\n"        # 8 loaded (CRLF)
        + "e6,a1,,2024-03-01T10:00:00Z,page_view,/last"           # 9 loaded, no line end at all
    ))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(6, 5, 0, 1)]
    assert query("select line, reason, raw from quarantine") == [
        (3, "unparseable timestamp", "e2,a1,,never,page_view,/home")]
    assert query("select event_id, line, page_url from events order by line") == [
        ("e1", 2, "/home"), ("e3", 4, "/a\rb"), ("e4", 7, None), ("e5", 8, "/end"), ("e6", 9, "/last")]


def test_a_csv_record_with_bad_bytes_after_a_bare_cr_is_that_row_only(landing, load, query):
    path = landing.raw("clicks.csv", (
        CSV_HEADER.encode() + b"\r"                                    # 1 header
        + b"e1,Jos\xe9,,2024-03-01T10:00:00Z,page_view,/home\r"         # 2 non-UTF-8 bytes
        + b"e2,a1,,2024-03-01T10:00:00Z,page_view,/caf\xc3\xa9\r"       # 3 loaded (UTF-8 \xc3\xa9 is an e acute)
    ))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(2, 1, 0, 1)]
    assert query("select line, reason, raw from quarantine") == [
        (2, "non-UTF-8 bytes", "e1,Jos\ufffd,,2024-03-01T10:00:00Z,page_view,/home")]
    assert query("select event_id, page_url from events") == [("e2", "/caf\u00e9")]


MEGABYTES = 5 * 1024 * 1024


def test_a_csv_field_of_several_megabytes_is_loaded(landing, load, query):
    long_url = "/" + "x" * MEGABYTES
    path = landing.raw("clicks.csv", (
        CSV_HEADER + "\n"
        + f"e1,a1,,2024-03-01T10:00:00Z,page_view,{long_url}\n"    # 2 loaded
        + "e2,a1,,2024-03-01T10:00:00Z,page_view,/home\n"           # 3 loaded
    ))

    assert counts(load("clickstream", path)) == [(2, 2, 0, 0)]
    assert query("select event_id, length(page_url) from events order by line") == [
        ("e1", MEGABYTES + 1), ("e2", 5)]


def test_a_json_line_of_several_megabytes_is_loaded(landing, load, query):
    path = landing.jsonl("clicks.jsonl", [
        {"event_id": "e1", "anonymous_id": "a1", "timestamp": "2024-03-01T10:00:00Z", "event": "page_view",
         "page_url": "/" + "x" * MEGABYTES},                                                         # 1 loaded
        {"event_id": "e2", "anonymous_id": "a1", "timestamp": "2024-03-01T10:00:00Z", "event": "page_view"},  # 2
    ])

    assert counts(load("clickstream", path)) == [(2, 2, 0, 0)]
    assert query("select event_id, length(page_url) from events order by line") == [("e1", MEGABYTES + 1), ("e2", None)]


# --- JSON nested thousands deep -----------------------------------------------------------------

CLICK = {"event_id": "e1", "anonymous_id": "a1", "timestamp": "2024-03-01T10:00:00Z", "event": "page_view"}


def nested(levels: int) -> str:
    """A JSON array nested `levels` deep: [[...[]...]]."""
    return "[" * levels + "]" * levels


def json_line(row: dict, **texts: str) -> str:
    """A JSON line of `row` with more keys whose values are JSON texts written as they are."""
    extra = "".join(f',"{key}":{text}' for key, text in texts.items())
    return json.dumps(row)[:-1] + extra + "}"


def test_a_json_line_nested_thousands_deep_is_quarantined(landing, load, query):
    deep_line = json_line(dict(CLICK, event_id="deep"), payload=nested(5000))
    path = landing.jsonl("clicks.jsonl", [
        dict(CLICK, event_id="e1"),                                       # 1 loaded
        deep_line,                                                        # 2 nested too deep
        json_line(dict(CLICK, event_id="e3"), payload=nested(99)),       # 3 loaded: 100 levels with the row
        json_line(dict(CLICK, event_id="e4"), payload=nested(100)),      # 4 nested too deep: 101 levels
        dict(CLICK, event_id="e5"),                                       # 5 loaded
    ])

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(5, 3, 0, 2)]
    assert query("select line, reason from quarantine order by line") == [(2, "nested too deep"), (4, "nested too deep")]
    assert query("select raw from quarantine where line = 2") == [(deep_line,)]
    assert query("select event_id from events order by line") == [("e1",), ("e3",), ("e5",)]
    assert json.loads(query("select properties from events where event_id = 'e3'")[0][0]) == {
        "payload": json.loads(nested(99))}


def test_a_csv_properties_cell_nested_thousands_deep_is_quarantined(landing, load, query):
    path = landing.csv("clicks.csv", ["event_id", "anonymous_id", "timestamp", "event", "properties"], [
        ["e1", "a1", "2024-03-01T10:00:00Z", "page_view", '{"plan": "pro"}'],                 # 2 loaded
        ["e2", "a1", "2024-03-01T10:00:00Z", "page_view", '{"x": ' + nested(5000) + "}"],      # 3 nested too deep
        ["e3", "a1", "2024-03-01T10:00:00Z", "page_view", '{"x": ' + nested(99) + "}"],        # 4 loaded: 100 levels
    ])

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(3, 2, 0, 1)]
    assert query("select line, reason from quarantine") == [(3, "nested too deep")]
    assert query("select event_id from events order by line") == [("e1",), ("e3",)]


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
@pytest.mark.parametrize("timestamp_type", ["text", "native"])
def test_a_parquet_properties_text_nested_thousands_deep_is_quarantined(landing, load, query, extra_column,
                                                                         timestamp_type):
    # native aware timestamps in microseconds and text columns: DuckDB reads the file itself; with text
    # timestamps the columns are converted by Arrow; with an extra column the rows go one by one
    instant = datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
    columns = {
        "event_id": ["e1", "e2", "e3", "e1"],
        "anonymous_id": ["a1"] * 4,
        "timestamp": (pa.array([instant] * 4, pa.timestamp("us", tz="UTC")) if timestamp_type == "native"
                      else ["2024-03-01T10:00:00Z"] * 4),
        "event": ["page_view"] * 4,
        "properties": [
            '{"plan": "pro"}',                       # 1 loaded
            '{"x": ' + nested(5000) + "}",           # 2 nested too deep
            '{"x": ' + nested(99) + "}",             # 3 loaded: 100 levels
            '{"x": ' + nested(5000) + "}",           # 4 nested too deep (a repeat of e1 is never compared)
        ],
    }
    if extra_column:
        columns["device"] = ["ios"] * 4
    path = landing.parquet("clicks.parquet", pa.table(columns))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(4, 2, 0, 2)]
    assert query("select line, reason from quarantine order by line") == [(2, "nested too deep"), (4, "nested too deep")]
    assert query("select event_id from events order by line") == [("e1",), ("e3",)]


# --- lone surrogate escapes ---------------------------------------------------------------------


def test_lone_surrogate_escapes_in_a_json_line_read_as_the_replacement_character(landing, load, query):
    path = landing.jsonl("clicks.jsonl", [
        # 1 loaded: a high surrogate without its low half, in a column and in an extra key
        r'{"event_id":"e1","anonymous_id":"a1","timestamp":"2024-03-01T10:00:00Z","event":"page_\ud83dview",'
        r'"title":"Caf\udc00 \ud83d\ude00"}',
        # 2 loaded: a lone surrogate in a key and in the properties object
        r'{"event_id":"e2","anonymous_id":"a1","timestamp":"2024-03-01T10:00:00Z","event":"page_view",'
        r'"properties":{"k\uDFFF":"\uD800"}}',
        # 3 loaded: the same escapes in a properties text
        r'{"event_id":"e3","anonymous_id":"a1","timestamp":"2024-03-01T10:00:00Z","event":"page_view",'
        r'"properties":"{\"k\":\"\\ud800\"}"}',
    ])

    assert counts(load("clickstream", path)) == [(3, 3, 0, 0)]
    stored = query("select event_id, event, properties from events order by line")
    assert [(event_id, event, json.loads(properties)) for event_id, event, properties in stored] == [
        ("e1", "page_\ufffdview", {"title": "Caf\ufffd \U0001F600"}),  # a whole pair is the character it encodes
        ("e2", "page_view", {"k\ufffd": "\ufffd"}),
        ("e3", "page_view", {"k": "\ufffd"})]


def test_lone_surrogate_escapes_in_a_csv_properties_cell(landing, load, query):
    path = landing.csv("clicks.csv", ["event_id", "anonymous_id", "timestamp", "event", "properties"], [
        ["e1", "a1", "2024-03-01T10:00:00Z", "page_view", r'{"k": "x\udbff"}'],
    ])

    assert counts(load("clickstream", path)) == [(1, 1, 0, 0)]
    assert [json.loads(p) for p, in query("select properties from events")] == [{"k": "x\ufffd"}]


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
@pytest.mark.parametrize("timestamp_type", ["text", "native"])
def test_lone_surrogate_escapes_in_a_parquet_properties_text(landing, load, query, extra_column, timestamp_type):
    instant = datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
    columns = {
        "event_id": ["e1", "e2"],
        "anonymous_id": ["a1", "a1"],
        "timestamp": (pa.array([instant] * 2, pa.timestamp("us", tz="UTC")) if timestamp_type == "native"
                      else ["2024-03-01T10:00:00Z"] * 2),
        "event": ["page_view", "page_view"],
        "properties": [r'{"k": "\ud800", "n": 1}', r'{"k": "\ud83d\ude00"}'],
    }
    if extra_column:
        columns["device"] = ["ios", "ios"]
    path = landing.parquet("clicks.parquet", pa.table(columns))

    assert counts(load("clickstream", path)) == [(2, 2, 0, 0)]
    stored = [json.loads(p) for p, in query("select properties from events order by line")]
    expected = [{"k": "\ufffd", "n": 1}, {"k": "\U0001F600"}]
    if extra_column:
        expected = [dict(properties, device="ios") for properties in expected]
    assert stored == expected
