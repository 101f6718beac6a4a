"""Timestamps (SPEC section 1): every written form, the declared time zone, native Parquet, far future.

Every expected instant is written by hand in UTC; Berlin is UTC+1 in winter and UTC+2 in summer,
New York UTC-5 in winter and UTC-4 in summer.
"""

import json
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from journey_mining import db, ingest

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NOW = datetime(2024, 6, 1, tzinfo=UTC)
BERLIN = "Europe/Berlin"
UNPARSEABLE = "unparseable timestamp"

# 2024-03-01T10:00:00Z is 19783 days after 1970-01-01 (19783 * 86400 s) plus 10 h: 1 709 287 200 s.
MARCH_1_10H_MS = 1_709_287_200_000


def at(*fields) -> datetime:
    return datetime(*fields, tzinfo=UTC)


# (case, value as written in a JSON line, declared zone, the instant stored or the quarantine reason)
CASES = [
    ("Z", "2024-03-01T10:00:00Z", "UTC", at(2024, 3, 1, 10)),
    ("+HH:MM", "2024-03-01T10:00:00+02:00", "UTC", at(2024, 3, 1, 8)),
    ("-HH:MM", "2024-03-01T10:00:00-05:30", "UTC", at(2024, 3, 1, 15, 30)),
    ("+HHMM", "2024-03-01T10:00:00+0200", "UTC", at(2024, 3, 1, 8)),
    ("-HHMM", "2024-03-01T10:00:00-0930", "UTC", at(2024, 3, 1, 19, 30)),
    ("+HH", "2024-03-01T10:00:00+02", "UTC", at(2024, 3, 1, 8)),
    ("-HH across midnight", "2024-03-01T22:00:00-03", "UTC", at(2024, 3, 2, 1)),
    ("+HH:MM across new year", "2024-01-01T00:30:00+01:00", "UTC", at(2023, 12, 31, 23, 30)),
    ("space", "2024-03-01 10:00:00Z", "UTC", at(2024, 3, 1, 10)),
    ("space and offset", "2024-03-01 10:00:00+01:00", "UTC", at(2024, 3, 1, 9)),
    ("fraction", "2024-03-01T10:00:00.5Z", "UTC", at(2024, 3, 1, 10, 0, 0, 500_000)),
    ("microseconds", "2024-03-01T10:00:00.123456+01:00", "UTC", at(2024, 3, 1, 9, 0, 0, 123_456)),
    ("milliseconds, no offset", "2024-03-01T10:00:00.250", "UTC", at(2024, 3, 1, 10, 0, 0, 250_000)),
    ("no offset", "2024-03-01T10:00:00", "UTC", at(2024, 3, 1, 10)),
    ("date alone", "2024-03-01", "UTC", at(2024, 3, 1)),
    ("leap day", "2024-02-29T12:00:00Z", "UTC", at(2024, 2, 29, 12)),
    ("epoch ms number", MARCH_1_10H_MS, "UTC", at(2024, 3, 1, 10)),
    ("epoch ms number with ms", MARCH_1_10H_MS + 123, "UTC", at(2024, 3, 1, 10, 0, 0, 123_000)),
    ("epoch ms text", str(MARCH_1_10H_MS), "UTC", at(2024, 3, 1, 10)),
    ("epoch zero", 0, "UTC", at(1970, 1, 1)),
    ("epoch ms negative number", -1000, "UTC", at(1969, 12, 31, 23, 59, 59)),
    ("30 February", "2024-02-30T10:00:00Z", "UTC", UNPARSEABLE),
    ("29 February of a common year", "2023-02-29", "UTC", UNPARSEABLE),
    ("month 13", "2024-13-01T10:00:00Z", "UTC", UNPARSEABLE),
    ("hour 25", "2024-03-01T25:00:00Z", "UTC", UNPARSEABLE),
    ("minute 60", "2024-03-01T10:60:00Z", "UTC", UNPARSEABLE),
    ("offset minutes 75", "2024-03-01T10:00:00+01:75", "UTC", UNPARSEABLE),
    ("offset hours 99", "2024-03-01T10:00:00+99:00", "UTC", UNPARSEABLE),
    ("garbage", "garbage", "UTC", UNPARSEABLE),
    ("time alone", "10:00:00", "UTC", UNPARSEABLE),
    ("US date", "03/01/2024", "UTC", UNPARSEABLE),
    ("one-digit month", "2024-3-1", "UTC", UNPARSEABLE),
    ("dangling sign", "2024-03-01T10:00:00+", "UTC", UNPARSEABLE),
    ("trailing text", "2024-03-01T10:00:00Z tomorrow", "UTC", UNPARSEABLE),
    ("Berlin summer", "2024-05-15T12:00:00", BERLIN, at(2024, 5, 15, 10)),
    ("Berlin winter", "2024-01-15T12:00:00", BERLIN, at(2024, 1, 15, 11)),
    ("Berlin summer date", "2024-05-15", BERLIN, at(2024, 5, 14, 22)),
    ("Berlin winter date", "2024-01-15", BERLIN, at(2024, 1, 14, 23)),
    ("Berlin summer space and fraction", "2024-05-15 12:00:00.5", BERLIN, at(2024, 5, 15, 10, 0, 0, 500_000)),
    ("Berlin, Z wins", "2024-05-15T12:00:00Z", BERLIN, at(2024, 5, 15, 12)),
    ("Berlin, offset wins", "2024-05-15T12:00:00+05:00", BERLIN, at(2024, 5, 15, 7)),
    ("Berlin, epoch ms has no zone", MARCH_1_10H_MS, BERLIN, at(2024, 3, 1, 10)),
    ("Berlin, epoch ms text has no zone", str(MARCH_1_10H_MS), BERLIN, at(2024, 3, 1, 10)),
    ("New York winter", "2024-01-15 12:00:00", "America/New_York", at(2024, 1, 15, 17)),
    ("New York summer", "2024-05-15T12:00:00", "America/New_York", at(2024, 5, 15, 16)),
]


def microseconds(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, tuple[int | None, str | None]]:
    """Each case's stored instant (µs since the epoch) or quarantine reason; one ingest per zone."""
    folder = tmp_path_factory.mktemp("timestamps")
    by_zone = defaultdict(list)
    for case, value, zone, _ in CASES:
        by_zone[zone].append({"event_id": case, "anonymous_id": "a1", "timestamp": value, "event": "page_view"})
    con = db.connect(folder / "journeys.duckdb")
    try:
        for number, (zone, rows) in enumerate(by_zone.items()):
            path = folder / f"zone{number}.jsonl"
            path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
            ingest.ingest(con, "clickstream", [path], tz=zone, now=NOW, quarantine_threshold=1.0)
        found = {event_id: (at_us, None) for event_id, at_us in con.execute(
            "select event_id, epoch_us(occurred_at) from events").fetchall()}
        for event_id, reason in con.execute(
                "select json_extract_string(raw, '$.event_id'), reason from quarantine").fetchall():
            found[event_id] = (None, reason)
    finally:
        con.close()
    return found


@pytest.mark.parametrize("case, value, zone, expected", CASES, ids=[case[0] for case in CASES])
def test_timestamp_forms(outcomes, case, value, zone, expected):
    if isinstance(expected, datetime):
        assert outcomes[case] == (microseconds(expected), None)
    else:
        assert outcomes[case] == (None, expected)


def test_every_case_is_accounted_for(outcomes):
    assert sorted(outcomes) == sorted(case for case, *_ in CASES)


def test_timestamp_forms_in_csv(landing, load, query):
    path = landing.csv("clicks.csv", ["event_id", "anonymous_id", "timestamp", "event"], [
        ["epoch", "a1", str(MARCH_1_10H_MS), "page_view"],
        ["hhmm", "a1", "2024-03-01 10:00:00+0100", "page_view"],
        ["naive", "a1", "2024-05-15T12:00:00", "page_view"],
        ["date", "a1", "2024-01-15", "page_view"],
        ["impossible", "a1", "2024-04-31", "page_view"],
    ])

    load("clickstream", path, tz=BERLIN, quarantine_threshold=1.0)

    assert query("select event_id, epoch_us(occurred_at) from events order by line") == [
        ("epoch", microseconds(at(2024, 3, 1, 10))), ("hhmm", microseconds(at(2024, 3, 1, 9))),
        ("naive", microseconds(at(2024, 5, 15, 10))), ("date", microseconds(at(2024, 1, 14, 23)))]
    assert query("select line, reason from quarantine") == [(6, UNPARSEABLE)]


# --- native Parquet timestamps ----------------------------------------------------------------

NATIVE = {
    # column type, the values written, the instants expected with the declared zone Europe/Berlin
    "aware UTC": (pa.timestamp("us", tz="UTC"),
                  [datetime(2024, 5, 15, 12, tzinfo=UTC), datetime(2024, 1, 15, 12, tzinfo=UTC)],
                  [at(2024, 5, 15, 12), at(2024, 1, 15, 12)]),
    "aware Berlin": (pa.timestamp("ms", tz=BERLIN),
                     [datetime(2024, 5, 15, 12, tzinfo=ZoneInfo(BERLIN)),
                      datetime(2024, 1, 15, 12, tzinfo=ZoneInfo(BERLIN))],
                     [at(2024, 5, 15, 10), at(2024, 1, 15, 11)]),
    "aware New York, seconds": (pa.timestamp("s", tz="America/New_York"),
                                [datetime(2024, 5, 15, 12, tzinfo=ZoneInfo("America/New_York")),
                                 datetime(2024, 1, 15, 12, tzinfo=ZoneInfo("America/New_York"))],
                                [at(2024, 5, 15, 16), at(2024, 1, 15, 17)]),
    "naive": (pa.timestamp("us"), [datetime(2024, 5, 15, 12), datetime(2024, 1, 15, 12, 0, 0, 250_000)],
              [at(2024, 5, 15, 10), at(2024, 1, 15, 11, 0, 0, 250_000)]),
    "date": (pa.date32(), [date(2024, 5, 15), date(2024, 1, 15)], [at(2024, 5, 14, 22), at(2024, 1, 14, 23)]),
}


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
@pytest.mark.parametrize("kind", list(NATIVE))
def test_native_parquet_timestamps(landing, load, query, kind, extra_column):
    column_type, values, expected = NATIVE[kind]
    columns = {
        "event_id": ["summer", "winter"],
        "anonymous_id": ["a1", "a1"],
        "timestamp": pa.array(values, column_type),
        "event": ["page_view", "page_view"],
    }
    if extra_column:
        columns["device"] = ["ios", "android"]
    path = landing.parquet("clicks.parquet", pa.table(columns))

    assert [(c.read, c.loaded) for c in load("clickstream", path, tz=BERLIN)] == [(2, 2)]
    assert query("select event_id, epoch_us(occurred_at) from events order by line") == [
        ("summer", microseconds(expected[0])), ("winter", microseconds(expected[1]))]


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
def test_parquet_integer_timestamps_are_epoch_milliseconds(landing, load, query, extra_column):
    columns = {
        "event_id": ["e1", "e2"], "anonymous_id": ["a1", "a1"], "event": ["page_view", "page_view"],
        "timestamp": pa.array([MARCH_1_10H_MS, -1000], pa.int64()),
    }
    if extra_column:
        columns["device"] = ["ios", "ios"]
    path = landing.parquet("clicks.parquet", pa.table(columns))

    load("clickstream", path, tz=BERLIN)  # an instant: the declared zone plays no part

    assert query("select event_id, epoch_us(occurred_at) from events order by line") == [
        ("e1", microseconds(at(2024, 3, 1, 10))), ("e2", microseconds(at(1969, 12, 31, 23, 59, 59)))]


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
def test_parquet_written_by_pandas_with_nanosecond_timestamps(landing, load, query, extra_column):
    frame = pd.DataFrame({
        "event_id": ["e1", "e2"],
        "anonymous_id": ["a1", "a1"],
        "timestamp": pd.Series([pd.Timestamp("2024-05-15 12:00:00", tz=BERLIN),
                                pd.Timestamp("2024-01-15 12:00:00.000001", tz=BERLIN)]
                               ).astype(f"datetime64[ns, {BERLIN}]"),
        "event": ["page_view", "signup"],
    })
    if extra_column:
        frame["device"] = ["ios", None]
    path = landing.root / "clicks.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    assert pq.read_schema(path).field("timestamp").type == pa.timestamp("ns", tz=BERLIN)

    load("clickstream", path)

    assert query("select event_id, epoch_us(occurred_at) from events order by line") == [
        ("e1", microseconds(at(2024, 5, 15, 10))), ("e2", microseconds(at(2024, 1, 15, 11, 0, 0, 1)))]


def test_a_missing_native_timestamp_is_quarantined(landing, load, query):
    path = landing.parquet("clicks.parquet", pa.table({
        "event_id": ["e1", "e2"], "anonymous_id": ["a1", "a1"],
        "timestamp": pa.array([datetime(2024, 3, 1, 10, tzinfo=UTC), None], pa.timestamp("us", tz="UTC")),
        "event": ["page_view", "page_view"],
    }))

    load("clickstream", path, quarantine_threshold=1.0)

    assert query("select line, reason from quarantine") == [(2, "missing timestamp")]


# --- far future -------------------------------------------------------------------------------


def test_far_future_is_later_than_now_plus_the_margin(landing, load, query):
    # NOW is 2024-06-01T00:00:00Z; with the default margin of one day the last allowed instant is
    # 2024-06-02T00:00:00Z itself (1 717 286 400 000 ms since the epoch).
    boundary_ms = (at(2024, 6, 2) - EPOCH) // timedelta(milliseconds=1)
    path = landing.jsonl("clicks.jsonl", [
        {"event_id": event_id, "anonymous_id": "a1", "timestamp": value, "event": "page_view"}
        for event_id, value in [
            ("at the boundary", "2024-06-02T00:00:00Z"),                         # 1 loaded
            ("1 us after", "2024-06-02T00:00:00.000001Z"),                       # 2 far future
            ("1 s after", "2024-06-02T00:00:01Z"),                               # 3 far future
            ("boundary with offset", "2024-06-02T02:00:00+02:00"),               # 4 loaded
            ("after, with offset", "2024-06-02T02:00:01+02:00"),                 # 5 far future
            ("boundary in epoch ms", boundary_ms),                               # 6 loaded
            ("1 s after in epoch ms", boundary_ms + 1000),                       # 7 far future
            ("next year", "2025-01-01"),                                         # 8 far future
            ("now", "2024-06-01T00:00:00Z"),                                     # 9 loaded
        ]
    ])

    assert [(c.read, c.loaded, c.quarantined) for c in load("clickstream", path, quarantine_threshold=1.0)] == [
        (9, 4, 5)]
    assert query("select line, reason from quarantine order by line") == [
        (2, "far future"), (3, "far future"), (5, "far future"), (7, "far future"), (8, "far future")]


def test_far_future_of_naive_times_is_judged_in_the_declared_zone(landing, load, query):
    # 02:00 in Berlin on 2 June is 00:00Z: exactly NOW + 1 day; 02:00:01 is one second later
    path = landing.jsonl("clicks.jsonl", [
        {"event_id": "e1", "anonymous_id": "a1", "timestamp": "2024-06-02T02:00:00", "event": "page_view"},
        {"event_id": "e2", "anonymous_id": "a1", "timestamp": "2024-06-02T02:00:01", "event": "page_view"},
    ])

    load("clickstream", path, tz=BERLIN, quarantine_threshold=1.0)

    assert query("select event_id from events") == [("e1",)]
    assert query("select line, reason from quarantine") == [(2, "far future")]


def test_far_future_margin_is_a_parameter(landing, load, query):
    path = landing.parquet("clicks.parquet", pa.table({
        "event_id": ["e1", "e2"], "anonymous_id": ["a1", "a1"], "event": ["page_view", "page_view"],
        "timestamp": pa.array([at(2024, 6, 1, 1), at(2024, 6, 1, 1, 0, 1)], pa.timestamp("us", tz="UTC")),
    }))

    load("clickstream", path, far_future_margin=timedelta(hours=1), quarantine_threshold=1.0)

    assert query("select event_id from events") == [("e1",)]
    assert query("select line, reason from quarantine") == [(2, "far future")]
