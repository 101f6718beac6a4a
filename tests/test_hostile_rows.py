"""Hostile rows (SPEC section 1): one crafted row is quarantined or loaded like any other row, in every
reader, and never fails the run or its file.

Each file holds good rows around the hostile one; the expected counts and lines are worked out by hand
from the rows written in the test.
"""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
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
        + 'e4,,u1,2024-03-01T10:00:00Z,page_view,"/x\r\ny"\r'     # 7-8 loaded, line 7
        + "e5,a1,,2024-03-01T10:00:00Z,page_view,/last"           # 9 loaded, no line end at all
    ))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(5, 4, 0, 1)]
    assert query("select line, reason, raw from quarantine") == [
        (3, "unparseable timestamp", "e2,a1,,never,page_view,/home")]
    assert query("select event_id, line, page_url from events order by line") == [
        ("e1", 2, "/home"), ("e3", 4, "/a\rb"), ("e4", 7, "/x\r\ny"), ("e5", 9, "/last")]


def test_a_bare_cr_inside_a_field_of_an_lf_file_stays_in_its_record(landing, load, query):
    # Python's csv writer with LF line ends does not quote a field holding a CR alone; the record is
    # malformed (RFC 4180 wants it quoted) but stays one record
    path = landing.raw("clicks.csv", (
        CSV_HEADER + "\n"                                        # 1 header
        + "e1,a1,,2024-03-01T10:00:00Z,page_view,/a\rb\n"         # 2 malformed line
        + "e2,a1,,2024-03-01T10:00:00Z,page_view,/home\n"         # 3 loaded
    ))

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(2, 1, 0, 1)]
    assert query("select line, reason, raw from quarantine") == [
        (2, "malformed line", "e1,a1,,2024-03-01T10:00:00Z,page_view,/a\rb")]


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
    assert query("select line, reason from quarantine order by line") == [
        (2, "nested too deep"), (4, "nested too deep")]
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
    assert query("select line, reason from quarantine order by line") == [
        (2, "nested too deep"), (4, "nested too deep")]
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


# --- Parquet texts that are not UTF-8 -------------------------------------------------------------
# A Parquet string column is meant to hold UTF-8, but writers need not check. A text whose bytes are
# not UTF-8 makes its row "non-UTF-8 bytes", as a line of JSON or CSV does; the row's raw text (its
# values, as for every Parquet row) shows those bytes as U+FFFD, and the rest of the file loads.

NOT_UTF8 = "non-UTF-8 bytes"


def texts(*values: bytes | None) -> pa.Array:
    """A string column holding exactly these bytes, UTF-8 or not (Arrow does not check)."""
    return pa.array(values, pa.binary()).view(pa.string())


def bad_bytes_table(timestamp_type: str, extra_column: bool) -> pa.Table:
    instant = datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
    columns = {
        "event_id": texts(b"e1", b"e2", b"e3", b"e4", b"e5"),
        "anonymous_id": texts(b"a1", b"a1", b"a1", b"a1", b"a1"),
        "timestamp": (pa.array([instant] * 5, pa.timestamp("us", tz="UTC")) if timestamp_type == "native"
                      else pa.array(["2024-03-01T10:00:00Z"] * 5)),
        "event": texts(b"page_view", b"page_\xe9view", b"page_view", b"page_view", b"page_view"),
        # e2: a sequence cut short; e3: UTF-8 for an e acute, and U+FFFD written as itself (both valid)
        "page_url": texts(b"/a", b"/caf\xc3", b"/caf\xc3\xa9 \xef\xbf\xbd", None, b"/e"),
    }
    if extra_column:
        columns["device"] = texts(b"ios", b"ios", b"ios", b"i\xffos", None)
    return pa.table(columns)


@pytest.mark.parametrize(("timestamp_type", "extra_column"), [
    ("native", False),   # DuckDB reads such a file itself, until it refuses a text
    ("text", False),     # converted by Arrow column by column
    ("native", True),    # row by row: the extra column goes into properties
], ids=["duckdb", "arrow columns", "rows"])
def test_a_parquet_text_that_is_not_utf8_quarantines_its_row_only(landing, load, query, timestamp_type,
                                                                   extra_column):
    path = landing.parquet("clicks.parquet", bad_bytes_table(timestamp_type, extra_column))

    result = load("clickstream", path, quarantine_threshold=1.0)

    if extra_column:
        assert counts(result) == [(5, 3, 0, 2)]
        assert query("select event_id, line from events order by line") == [("e1", 1), ("e3", 3), ("e5", 5)]
        assert query("select line, reason from quarantine order by line") == [(2, NOT_UTF8), (4, NOT_UTF8)]
    else:
        assert counts(result) == [(5, 4, 0, 1)]
        assert query("select event_id, line from events order by line") == [
            ("e1", 1), ("e3", 3), ("e4", 4), ("e5", 5)]
        assert query("select line, reason from quarantine order by line") == [(2, NOT_UTF8)]
    assert query("select page_url from events where event_id = 'e3'") == [("/caf\u00e9 \ufffd",)]
    raws = {line: json.loads(raw) for line, raw in query("select line, raw from quarantine")}
    assert (raws[2]["event_id"], raws[2]["event"], raws[2]["page_url"]) == ("e2", "page_\ufffdview", "/caf\ufffd")
    if extra_column:
        assert raws[4]["event_id"] == "e4"
        assert json.loads(raws[4]["properties"]) == {"device": "i\ufffdos"}
        assert [p and json.loads(p) for p, in query("select properties from events order by line")] == [
            {"device": "ios"}, {"device": "ios"}, None]


def test_parquet_files_duckdb_refuses_are_read_through_arrow_and_the_others_by_duckdb(landing, load, query):
    # DuckDB refuses one file at a time: the run starts again for each, and every file's rows end right
    instant = pa.array([datetime(2024, 3, 1, 10, tzinfo=timezone.utc)] * 2, pa.timestamp("us", tz="UTC"))
    files = [
        landing.parquet("1-bad.parquet", {"event_id": texts(b"b1", b"b2"), "anonymous_id": texts(b"a1", b"\x80"),
                                          "event": texts(b"page_view", b"page_view"), "timestamp": instant}),
        landing.parquet("2-good.parquet", {"event_id": texts(b"g1", b"g2"), "anonymous_id": texts(b"a1", b"a2"),
                                           "event": texts(b"page_view", b"signup"), "timestamp": instant}),
        landing.parquet("3-bad.parquet", {"event_id": texts(b"c1\xed\xa0\x80", b"c2"),  # an encoded surrogate
                                          "anonymous_id": texts(b"a1", b"a3"),
                                          "event": texts(b"page_view", b"page_view"), "timestamp": instant}),
    ]

    assert counts(load("clickstream", *files, quarantine_threshold=1.0)) == [
        (2, 1, 0, 1), (2, 2, 0, 0), (2, 1, 0, 1)]
    assert sorted(query("select event_id, anonymous_id from events")) == [
        ("b1", "a1"), ("c2", "a3"), ("g1", "a1"), ("g2", "a2")]
    quarantined = query("select f.path, q.line, q.reason, q.raw from quarantine as q "
                        "join ingested_files as f using (file_id) order by f.path")
    # the three bytes of the surrogate are three U+FFFD: none starts a sequence that could go on
    assert [(Path(path).name, line, reason, json.loads(raw)["event_id"], json.loads(raw)["anonymous_id"])
            for path, line, reason, raw in quarantined] == [
        ("1-bad.parquet", 2, NOT_UTF8, "b2", "\ufffd"), ("3-bad.parquet", 1, NOT_UTF8, "c1\ufffd\ufffd\ufffd", "a1")]


def test_texts_that_are_not_utf8_inside_nested_and_dictionary_parquet_columns(landing, load, query):
    # extra columns of nested types go into properties, the bytes at any depth; a dictionary column
    # (pandas' categories) holds its texts once
    tags = pa.array([[b"a"], [b"b", b"\xfe"], [], None, None, [b"f"]],
                    pa.list_(pa.binary())).view(pa.list_(pa.string()))
    page = pa.StructArray.from_arrays(
        [texts(b"/a", b"/b", b"/c\xe2\x82", b"/d", b"/e", b"/f"), pa.array([1, 2, 3, 4, 5, 6])], ["url", "depth"])
    labels = pa.array([[(b"k", b"v")], None, None, [(b"k\xc1", b"v")], None, None],
                      pa.map_(pa.binary(), pa.binary())).view(pa.map_(pa.string(), pa.string()))
    plan = pa.DictionaryArray.from_arrays(pa.array([0, 0, 0, 0, 1, 0], pa.int32()), texts(b"free", b"pr\xf6"))
    path = landing.parquet("clicks.parquet", {
        "event_id": [f"e{n}" for n in range(1, 7)], "anonymous_id": ["a1"] * 6, "event": ["page_view"] * 6,
        "timestamp": ["2024-03-01T10:00:00Z"] * 6, "tags": tags, "page": page, "labels": labels, "plan": plan,
    })

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(6, 2, 0, 4)]
    assert query("select line, reason from quarantine order by line") == [
        (2, NOT_UTF8), (3, NOT_UTF8), (4, NOT_UTF8), (5, NOT_UTF8)]
    raws = [json.loads(json.loads(raw)["properties"]) for raw, in query("select raw from quarantine order by line")]
    assert raws == [
        {"tags": ["b", "\ufffd"], "page": {"url": "/b", "depth": 2}, "plan": "free"},
        {"tags": [], "page": {"url": "/c\ufffd", "depth": 3}, "plan": "free"},
        {"page": {"url": "/d", "depth": 4}, "labels": [["k\ufffd", "v"]], "plan": "free"},
        {"page": {"url": "/e", "depth": 5}, "plan": "pr\ufffd"},
    ]
    assert [json.loads(p) for p, in query("select properties from events order by line")] == [
        {"tags": ["a"], "page": {"url": "/a", "depth": 1}, "labels": [["k", "v"]], "plan": "free"},
        {"tags": ["f"], "page": {"url": "/f", "depth": 6}, "plan": "free"}]


# --- timestamps out of range --------------------------------------------------------------------
# An instant is in range from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z (the years Python's
# datetime holds); outside it a timestamp is unparseable, in every form. 0001-01-01 is 719,162 days
# before 1970-01-01: -62,135,596,800 s. 10000-01-01 is 2,932,897 days after: 253,402,300,800 s.

UNPARSEABLE = "unparseable timestamp"
FAR_FUTURE = "far future"
UTC = timezone.utc
MARCH_1_10H_S = 1_709_287_200  # 2024-03-01T10:00:00Z
FIRST_S = -62_135_596_800
AFTER_LAST_S = 253_402_300_800


def at(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def microseconds(instant: datetime) -> int:
    return (instant - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def outcomes(query) -> dict[str, int | str]:
    """Each event id's stored instant (microseconds since the epoch) or quarantine reason."""
    found = dict(query("select event_id, epoch_us(occurred_at) from events"))
    for raw, reason in query("select raw, reason from quarantine"):
        found[json.loads(raw)["event_id"] if raw.startswith("{") else raw.split(",")[0]] = reason
    return found


def expected_outcomes(cases) -> dict[str, int | str]:
    return {event_id: microseconds(expected) if isinstance(expected, datetime) else expected
            for event_id, _, expected in cases}


JSON_CASES = [
    ("text", "2024-03-01T10:00:00Z", at(2024, 3, 1, 10)),
    ("first instant", "0001-01-01T00:00:00Z", at(1, 1, 1)),
    ("year 0", "0000-12-31T23:59:59Z", UNPARSEABLE),
    ("before year 1 by its offset", "0001-01-01T00:59:59+01:00", UNPARSEABLE),
    ("last instant", "9999-12-31T23:59:59.999999Z", FAR_FUTURE),
    ("after year 9999 by its offset", "9999-12-31T23:00:00-05:00", UNPARSEABLE),
    ("epoch ms of the first instant", FIRST_S * 1000, at(1, 1, 1)),
    ("epoch ms before it", FIRST_S * 1000 - 1, UNPARSEABLE),
    ("epoch ms of year 10000", AFTER_LAST_S * 1000, UNPARSEABLE),
    ("epoch ms 2^62", 2**62, UNPARSEABLE),
    ("epoch ms -2^62", -2**62, UNPARSEABLE),
    ("epoch ms text of int64's largest", str(2**63 - 1), UNPARSEABLE),
    ("400 digits", int("9" * 400), UNPARSEABLE),
    ("400 digits as text", "9" * 400, UNPARSEABLE),
    ("400 digits negative", -int("9" * 400), UNPARSEABLE),
    ("a float beyond any number", float("inf"), UNPARSEABLE),
]


def test_json_lines_timestamps_out_of_range_are_unparseable(landing, load, query):
    lines = [json.dumps(dict(CLICK, event_id=case, timestamp=value)) for case, value, _ in JSON_CASES]
    lines = [line.replace("Infinity", "1e400") for line in lines]  # how JSON writes it: a number too big for a float
    path = landing.jsonl("clicks.jsonl", lines)

    result = load("clickstream", path, quarantine_threshold=1.0)

    assert counts(result) == [(16, 3, 0, 13)]  # loaded: text, first instant, epoch ms of the first instant
    assert outcomes(query) == expected_outcomes(JSON_CASES)


CSV_CASES = [
    ("text", "2024-03-01 10:00:00", at(2024, 3, 1, 10)),
    ("first day", "0001-01-01", at(1, 1, 1)),
    ("year 0", "0000-06-01", UNPARSEABLE),
    ("epoch ms before year 1", str(FIRST_S * 1000 - 1), UNPARSEABLE),
    ("epoch ms of year 10000", str(AFTER_LAST_S * 1000), UNPARSEABLE),
    ("400 digits", "9" * 400, UNPARSEABLE),
]


def test_csv_timestamps_out_of_range_are_unparseable(landing, load, query):
    path = landing.csv("clicks.csv", ["event_id", "anonymous_id", "timestamp", "event"],
                       [[case, "a1", value, "page_view"] for case, value, _ in CSV_CASES])

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(6, 2, 0, 4)]
    assert outcomes(query) == expected_outcomes(CSV_CASES)


# Native Parquet columns: (type, [(event id, stored count of the type's unit, expected)]). Parquet stores
# seconds as milliseconds; dates count days.
PARQUET_CASES = {
    "epoch ms int64": (pa.int64(), [
        ("march", MARCH_1_10H_S * 1000, at(2024, 3, 1, 10)),
        ("first", FIRST_S * 1000, at(1, 1, 1)),
        ("before first", FIRST_S * 1000 - 1, UNPARSEABLE),
        ("last ms", AFTER_LAST_S * 1000 - 1, FAR_FUTURE),
        ("year 10000", AFTER_LAST_S * 1000, UNPARSEABLE),
        ("2^62", 2**62, UNPARSEABLE),
        ("-2^62", -2**62, UNPARSEABLE),
    ]),
    "epoch ms uint64": (pa.uint64(), [
        ("march", MARCH_1_10H_S * 1000, at(2024, 3, 1, 10)),
        ("2^64 - 1", 2**64 - 1, UNPARSEABLE),
    ]),
    "aware ms": (pa.timestamp("ms", tz="UTC"), [
        ("march", MARCH_1_10H_S * 1000, at(2024, 3, 1, 10)),
        ("first", FIRST_S * 1000, at(1, 1, 1)),
        ("before first", FIRST_S * 1000 - 1, UNPARSEABLE),
        ("2^62", 2**62, UNPARSEABLE),
        ("-2^62", -2**62, UNPARSEABLE),
    ]),
    "aware us, infinities": (pa.timestamp("us", tz="UTC"), [
        ("march", MARCH_1_10H_S * 1_000_000, at(2024, 3, 1, 10)),
        ("year 10000", AFTER_LAST_S * 1_000_000, UNPARSEABLE),
        ("int64's largest", 2**63 - 1, UNPARSEABLE),
        ("int64's smallest but one", -(2**63 - 1), UNPARSEABLE),
    ]),
    "aware s in Berlin": (pa.timestamp("s", tz="Europe/Berlin"), [
        ("march", MARCH_1_10H_S, at(2024, 3, 1, 10)),
        ("last second", AFTER_LAST_S - 1, FAR_FUTURE),  # 10000-01-01T00:59:59 in Berlin: no Python datetime
        ("2^53", 2**53, UNPARSEABLE),
        ("-2^53", -2**53, UNPARSEABLE),
    ]),
    "naive ms": (pa.timestamp("ms"), [  # read in the declared zone, UTC here
        ("march", MARCH_1_10H_S * 1000, at(2024, 3, 1, 10)),
        ("first", FIRST_S * 1000, at(1, 1, 1)),
        ("-2^62", -2**62, UNPARSEABLE),
    ]),
    "date": (pa.date32(), [
        ("march", 19_783, at(2024, 3, 1)),
        ("first", FIRST_S // 86_400, at(1, 1, 1)),
        ("day before", FIRST_S // 86_400 - 1, UNPARSEABLE),
        ("9999-12-31", AFTER_LAST_S // 86_400 - 1, FAR_FUTURE),
        ("10000-01-01", AFTER_LAST_S // 86_400, UNPARSEABLE),
        ("2^31 - 1", 2**31 - 1, UNPARSEABLE),
        ("-2^31", -2**31, UNPARSEABLE),
    ]),
}


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
@pytest.mark.parametrize("case", list(PARQUET_CASES))
def test_parquet_native_timestamps_out_of_range_are_unparseable(landing, load, query, case, extra_column):
    # aware ms and us with spec columns only: DuckDB reads the file itself, unless the statistics show a
    # value out of range; the other types are converted by Arrow; with an extra column rows go one by one
    column_type, cases = PARQUET_CASES[case]
    rows = len(cases)
    columns = {
        "event_id": [event_id for event_id, _, _ in cases],
        "anonymous_id": ["a1"] * rows,
        "timestamp": pa.array([count for _, count, _ in cases],
                              pa.int64() if column_type != pa.uint64() else pa.uint64()).cast(column_type)
        if pa.types.is_integer(column_type) else _native(column_type, [count for _, count, _ in cases]),
        "event": ["page_view"] * rows,
    }
    if extra_column:
        columns["device"] = ["ios"] * rows
    path = landing.parquet("clicks.parquet", pa.table(columns))

    result = load("clickstream", path, quarantine_threshold=1.0)

    loaded = sum(isinstance(expected, datetime) for _, _, expected in cases)
    assert counts(result) == [(rows, loaded, 0, rows - loaded)]
    assert outcomes(query) == expected_outcomes(cases)


def _native(column_type: pa.DataType, counts_of_unit: list[int]) -> pa.Array:
    """A timestamp or date column holding exactly these counts of its unit."""
    storage = pa.int32() if pa.types.is_date32(column_type) else pa.int64()
    return pa.array(counts_of_unit, storage).view(column_type)


def test_parquet_duckdb_reads_an_out_of_range_file_through_arrow_and_the_next_file_itself(landing, load, query):
    good = landing.parquet("1-good.parquet", pa.table({
        "event_id": ["g1"], "anonymous_id": ["a1"], "event": ["page_view"],
        "timestamp": _native(pa.timestamp("ms", tz="UTC"), [MARCH_1_10H_S * 1000]),
    }))
    hostile = landing.parquet("2-hostile.parquet", pa.table({
        "event_id": ["h1", "h2"], "anonymous_id": ["a1", "a1"], "event": ["page_view", "page_view"],
        "timestamp": _native(pa.timestamp("ms", tz="UTC"), [MARCH_1_10H_S * 1000, 2**62]),
    }))

    assert counts(load("clickstream", good, hostile, quarantine_threshold=1.0)) == [(1, 1, 0, 0), (2, 1, 0, 1)]
    assert sorted(query("select event_id from events")) == [("g1",), ("h1",)]
    assert query("select line, reason, raw from quarantine") == [
        (2, UNPARSEABLE, '{"event_id":"h2","anonymous_id":"a1","timestamp":"4611686018427387904 '
                         '(timestamp[ms, tz=UTC])","event":"page_view"}')]


def test_parquet_without_statistics_is_read_all_the_same(landing, load, query):
    path = landing.root / "clicks.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({
        "event_id": ["e1", "e2"], "anonymous_id": ["a1", "a1"], "event": ["page_view", "page_view"],
        "timestamp": _native(pa.timestamp("ms", tz="UTC"), [MARCH_1_10H_S * 1000, 2**62]),
    }), path, write_statistics=False)

    assert counts(load("clickstream", path, quarantine_threshold=1.0)) == [(2, 1, 0, 1)]
    assert query("select line, reason from quarantine") == [(2, UNPARSEABLE)]


def test_an_extra_parquet_timestamp_column_out_of_range_goes_into_properties_as_text(landing, load, query):
    path = landing.parquet("clicks.parquet", pa.table({
        "event_id": ["e1", "e2"], "anonymous_id": ["a1", "a1"], "event": ["page_view", "page_view"],
        "timestamp": ["2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"],
        "sent_at": _native(pa.timestamp("ms"), [MARCH_1_10H_S * 1000, 2**62]),
    }))

    assert counts(load("clickstream", path)) == [(2, 2, 0, 0)]
    assert [json.loads(p) for p, in query("select properties from events order by line")] == [
        {"sent_at": "2024-03-01 10:00:00"}, {"sent_at": "4611686018427387904 (timestamp[ms])"}]


# --- 400-digit numbers elsewhere in a row ---------------------------------------------------------

BIG = "9" * 400


@pytest.mark.parametrize("reader", ["jsonl", "csv", "parquet"])
def test_400_digit_numbers_are_identifiers_as_text_and_amounts_too_big_to_hold(landing, load, query, reader):
    # an identifier is text (all 400 digits); a number beyond a double is an unparseable amount or score:
    # missing, and the row stays; in properties the number is kept as JSON holds it
    header = ["event_id", "customer_id", "timestamp", "object", "action", "amount", "score", "properties"]
    values = ["c1", BIG, "2024-03-01T10:00:00Z", "order", "created", BIG, "-" + BIG, '{"n": ' + BIG + "}"]
    if reader == "jsonl":
        path = landing.jsonl("crm.jsonl", [
            '{"event_id": "c1", "customer_id": %s, "timestamp": "2024-03-01T10:00:00Z", "object": "order", '
            '"action": "created", "amount": %s, "score": -%s, "properties": {"n": %s}}' % (BIG, BIG, BIG, BIG)])
    elif reader == "csv":
        path = landing.csv("crm.csv", header, [values])
    else:
        path = landing.parquet("crm.parquet", pa.table({name: [value] for name, value in zip(header, values)}))

    assert counts(load("crm", path)) == [(1, 1, 0, 0)]
    assert query("select customer_id, amount, score, properties->>'$.n' from events") == [(BIG, None, None, BIG)]
