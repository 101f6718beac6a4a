"""Random and hostile rows through the real ingest, per reader (SPEC section 1): every row ends loaded,
a duplicate or quarantined with a known reason, the file's counts reconcile and equal the rows
written, and nothing raises.

Rows mix ordinary values with hostile ones: lone surrogates, control characters, JSON nested
thousands deep, several hundred kilobytes of text, 400-digit numbers, timestamps in every form and
out of range. Each test feeds one file per example into one database (an event id seen in an earlier
example is a repeat, which the rule covers as well). Derandomized, so CI sees the same examples.
"""

import csv
import io
import json
from datetime import date, datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journey_mining import db, ingest

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
REASONS = {
    "missing timestamp", "unparseable timestamp", "missing event_id", "no identity", "missing event",
    "missing object", "missing action", "non-UTF-8 bytes", "malformed line", "conflicting duplicate",
    "far future", "nested too deep",
}
COLUMNS = {
    "clickstream": ["event_id", "anonymous_id", "user_id", "timestamp", "event", "page_url", "properties"],
    "crm": ["event_id", "customer_id", "email", "timestamp", "object", "action", "amount", "score", "properties"],
}
EXAMPLES = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

# --- values ---------------------------------------------------------------------------------------

# any code point, lone surrogates and control characters included
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=12)
ORDINARY = st.sampled_from(["e1", "e2", "a1", "u1", "page_view", "order", "created", " ", "", "/pricing"])
HOSTILE_TEXT = st.sampled_from([
    "\ud800", "x\udfff", "\x00", "\x1b[31m", "\u202e", "\r", "\r\n", "\n", '"', "a,b", "\ufeff",
    "lorem ipsum " * 25_000,                                # 300 kilobytes
    "9" * 400, "-" + "9" * 400, "1e400",
    "[" * 5000 + "]" * 5000,                                # nested thousands deep
    '{"k": ' + "[" * 99 + "]" * 99 + "}",                   # 100 levels: still allowed
    '{"k": ' + "[" * 100 + "]" * 100 + "}",                 # 101 levels: too deep
    '{"k": "\\ud800", "n": ' + "9" * 400 + "}",             # a lone surrogate escape, a 400-digit number
])
TEXT = st.one_of(ORDINARY, ANY_TEXT, HOSTILE_TEXT)

EPOCH_MS = st.one_of(
    st.integers(-2**70, 2**70),
    st.integers(-62_135_596_800_001, 253_402_300_800_000),  # years 1 to 10000
    st.sampled_from([0, 2**62, -2**62, 2**63 - 1, -2**63, int("9" * 400)]),
)
ISO = st.one_of(
    st.builds(lambda instant, sep, timespec, offset: instant.isoformat(sep, timespec) + offset,
              st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
              st.sampled_from(["T", " "]), st.sampled_from(["minutes", "seconds", "microseconds"]),
              st.sampled_from(["", "Z", "+14:00", "-12:00", "+0530", "-03"])),
    st.dates().map(date.isoformat),
)
TIMESTAMP_TEXT = st.one_of(ISO, EPOCH_MS.map(str), TEXT, st.sampled_from(["0000-01-01", "10000-01-01"]))


def json_value():
    """What a JSON line may hold in a column: text, numbers, booleans, null, objects and arrays."""
    scalars = st.one_of(TEXT, st.integers(-2**70, 2**70), st.floats(), st.booleans(), st.none(),
                        st.just(int("9" * 400)))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(ANY_TEXT, inner, max_size=3)),
                        max_leaves=6)


# --- checking one file ----------------------------------------------------------------------------


def assert_accounted_for(con, result, rows_written: int) -> None:
    """The file's counts reconcile, equal the rows written, and every row is in exactly one place."""
    (counts,) = result
    assert counts.read == rows_written
    assert counts.read == counts.loaded + counts.duplicates + counts.quarantined
    (file_id,) = con.execute("select file_id from ingested_files where path = ?", [counts.path]).fetchone()
    loaded = {line for (line,) in con.execute("select line from events where file_id = ?", [file_id]).fetchall()}
    quarantined = dict(con.execute("select line, reason from quarantine where file_id = ?", [file_id]).fetchall())
    if not counts.already_loaded:  # a file seen in an earlier example reports its first load
        assert len(loaded) == counts.loaded and len(quarantined) == counts.quarantined
        assert not loaded & set(quarantined)
    assert set(quarantined.values()) <= REASONS


@pytest.fixture
def connection(tmp_path):
    con = db.connect(tmp_path / "journeys.duckdb")
    yield con
    con.close()


class Files:
    """A fresh file name per example."""

    def __init__(self, folder):
        self.folder, self.count = folder, 0

    def __call__(self, suffix: str):
        self.count += 1
        return self.folder / f"example-{self.count}{suffix}"


@pytest.fixture
def files(tmp_path):
    return Files(tmp_path)


def load(con, source, path):
    return ingest.ingest(con, source, [path], now=NOW, quarantine_threshold=1.0)


# --- JSON Lines -----------------------------------------------------------------------------------


def json_rows(source: str):
    columns = COLUMNS[source]
    timestamp = st.one_of(TIMESTAMP_TEXT, EPOCH_MS, st.floats(), json_value())
    row = st.fixed_dictionaries({}, optional={
        name: timestamp if name == "timestamp" else json_value() for name in columns + ["extra"]})
    return st.lists(row, min_size=1, max_size=6)


@pytest.mark.parametrize("source", ["clickstream", "crm"])
@EXAMPLES
@given(data=st.data())
def test_json_lines(connection, files, source, data):
    rows = data.draw(json_rows(source))
    path = files(".jsonl")
    # ensure_ascii writes a lone surrogate as its escape, as a client does; 1e400 stands for infinity
    lines = [json.dumps(row, ensure_ascii=True).replace("-Infinity", "-1e400").replace("Infinity", "1e400")
             .replace("NaN", "null") for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")

    assert_accounted_for(connection, load(connection, source, path), len(rows))


# --- CSV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["clickstream", "crm"])
@EXAMPLES
@given(data=st.data())
def test_csv(connection, files, source, data):
    columns = COLUMNS[source] + ["extra"]
    cell = st.one_of(TEXT, TIMESTAMP_TEXT)
    rows = data.draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), min_size=1, max_size=6))
    line_end = data.draw(st.sampled_from(["\r\n", "\n", "\r"]))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=line_end, quoting=csv.QUOTE_ALL)  # RFC 4180: any text quoted
    writer.writerow(columns)
    writer.writerows(rows)
    path = files(".csv")
    # a lone surrogate is written as the bytes a careless encoder gives it: not UTF-8
    path.write_bytes(text.getvalue().encode("utf-8", errors="surrogatepass"))

    assert_accounted_for(connection, load(connection, source, path), len(rows))


# --- Parquet --------------------------------------------------------------------------------------

# timestamp column types: text, epoch ms integers, and native types whose values are raw counts of
# their unit (int64's whole range: out of range included)
TIMESTAMP_TYPES = {
    "text": pa.string(),
    "epoch ms": pa.int64(),
    "aware us": pa.timestamp("us", tz="UTC"),     # DuckDB reads such a file itself, when in range
    "aware ms": pa.timestamp("ms", tz="UTC"),
    "aware s": pa.timestamp("s", tz="Europe/Berlin"),
    "naive ms": pa.timestamp("ms"),
    "aware ns": pa.timestamp("ns", tz="UTC"),
    "date": pa.date32(),
}
COUNTS = {
    "aware us": st.one_of(st.integers(-2**63 + 1, 2**63 - 1),
                          st.integers(-62_135_596_800_000_001, 253_402_300_800_000_000)),
    "aware ms": st.one_of(st.integers(-2**63 + 1, 2**63 - 1), EPOCH_MS.filter(lambda n: abs(n) < 2**63)),
    "aware s": st.integers(-2**53, 2**53),  # Parquet stores seconds as milliseconds
    "naive ms": st.one_of(st.integers(-2**63 + 1, 2**63 - 1), EPOCH_MS.filter(lambda n: abs(n) < 2**63)),
    "aware ns": st.integers(-2**63 + 1, 2**63 - 1),
    "date": st.integers(-2**31, 2**31 - 1),
}


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# bytes a Parquet writer that does not check may put in a string column: Latin-1, a lone continuation
# byte, a sequence cut short, an encoded surrogate, an overlong slash, a code point past U+10FFFF
NOT_UTF8 = st.one_of(
    st.sampled_from([b"caf\xe9", b"\xff", b"\x80", b"/caf\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80",
                     b'{"k": "\xfe"}']),
    st.binary(min_size=1, max_size=8).filter(lambda data: not is_utf8(data)),
)


def parquet_text(not_utf8: bool):
    """The bytes of a text a Parquet string holds: UTF-8 (a lone surrogate only as a JSON escape), or
    when `not_utf8`, now and then bytes that are not."""
    utf8 = st.one_of(TEXT.map(lambda text: text.encode("utf-8", "replace")),
                     HOSTILE_TEXT.map(lambda text: json.dumps({"k": text}).encode("utf-8")))
    return st.one_of(utf8, utf8, NOT_UTF8) if not_utf8 else utf8


def parquet_texts(values: list[bytes | None]) -> pa.Array:
    """A string column holding exactly these bytes (Arrow does not check them)."""
    return pa.array(values, pa.binary()).view(pa.string())


@pytest.mark.parametrize("extra_column", [False, True], ids=["spec columns only", "with an extra column"])
@EXAMPLES
@given(data=st.data())
def test_parquet(connection, files, extra_column, data):
    source = "clickstream"
    kind = data.draw(st.sampled_from(list(TIMESTAMP_TYPES)))
    rows = data.draw(st.integers(1, 6))
    not_utf8 = data.draw(st.booleans())
    nullable = lambda values: st.one_of(st.none(), values)  # noqa: E731
    texts = {name: data.draw(st.lists(nullable(parquet_text(not_utf8)), min_size=rows, max_size=rows))
             for name in COLUMNS[source] + (["device"] if extra_column else []) if name != "timestamp"}
    columns = {name: parquet_texts(values) for name, values in texts.items()}
    if kind == "text":
        timestamps = pa.array(data.draw(st.lists(nullable(TIMESTAMP_TEXT.map(
            lambda text: text.encode("utf-8", "replace").decode("utf-8"))), min_size=rows, max_size=rows)))
    elif kind == "epoch ms":
        timestamps = pa.array(data.draw(st.lists(nullable(st.integers(-2**63, 2**63 - 1)), min_size=rows,
                                                 max_size=rows)), pa.int64())
    else:
        kind_type = TIMESTAMP_TYPES[kind]
        storage = pa.int32() if pa.types.is_date32(kind_type) else pa.int64()
        counts = data.draw(st.lists(nullable(COUNTS[kind]), min_size=rows, max_size=rows))
        timestamps = pa.array(counts, storage).view(kind_type)
    columns["timestamp"] = timestamps
    if extra_column:
        columns["sent_at"] = pa.array(data.draw(st.lists(nullable(st.integers(-2**63 + 1, 2**63 - 1)),
                                                         min_size=rows, max_size=rows)),
                                      pa.int64()).view(pa.timestamp("ms"))
    path = files(".parquet")
    pq.write_table(pa.table(columns), path, coerce_timestamps=None)

    result = load(connection, source, path)

    assert_accounted_for(connection, result, rows)
    # a row is "non-UTF-8 bytes" exactly when one of its texts is not UTF-8
    expected = {line for line, values in enumerate(zip(*texts.values()), start=1)
                if any(value is not None and not is_utf8(value) for value in values)}
    if not result[0].already_loaded:
        assert {line for (line,) in connection.execute(
            "select q.line from quarantine as q join ingested_files as f using (file_id) "
            "where f.path = ? and q.reason = 'non-UTF-8 bytes'", [result[0].path]).fetchall()} == expected
