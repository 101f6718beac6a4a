"""Reading input files row by row into staged rows: every input column as text, plus where it came from.

JSON Lines and CSV are read here in Python, because each row needs its own line number, raw text
and UTF-8 check. Parquet in the shape `duckdb_reads` describes is not staged at all: DuckDB reads the
file itself at every step of the run (the scale path). Other Parquet with only SPEC columns is
converted column by column; any other Parquet (Segment columns, extra columns) goes through the same
row normaliser. In both, a Parquet text whose bytes are not UTF-8 makes its row "non-UTF-8 bytes",
staged with those bytes as U+FFFD.
"""

import csv
import gzip
import io
import json
import math
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from journey_mining.columns import (
    REASON_MALFORMED,
    REASON_NESTED_TOO_DEEP,
    REASON_NON_UTF8,
    STAGED_TEXT_COLUMNS,
    input_columns,
)

FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
BATCH_ROWS = 50_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Segment's camelCase keys and where their values go (SPEC section 1).
SEGMENT_KEYS = {"messageId": "event_id", "anonymousId": "anonymous_id", "userId": "user_id"}
SEGMENT_CONTEXT = {
    ("page", "url"): "page_url",
    ("campaign", "source"): "utm_source",
    ("campaign", "medium"): "utm_medium",
    ("campaign", "name"): "utm_campaign",
}

# JSON arrays and objects nested more levels deep than this make a row malformed in its own way:
# Python's parser gives up near a thousand levels, and no real event needs more than a few.
MAX_NESTING = 100
LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# The instants a timestamp may hold: Python's datetime range, years 1 to 9999 (UTC), which every reader of
# the exports can hold too. sql/ingest/macros/ingest_typed.sql applies it to every row; a native Parquet value
# outside it is staged as text (see _out_of_range_texts), which never parses.
FIRST_MICROSECOND = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
LAST_MICROSECOND = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
MICROSECONDS_PER = {"s": 1_000_000, "ms": 1_000, "us": 1, "day": 86_400_000_000}
PARQUET_TIME_UNITS = {"milliseconds": "ms", "microseconds": "us", "nanoseconds": "ns"}

STAGED_SCHEMA = pa.schema(
    [("file_id", pa.int32()), ("line", pa.int64()), ("raw", pa.string()), ("reject_reason", pa.string())]
    + [(name, pa.string()) for name in STAGED_TEXT_COLUMNS]
    + [("native_timestamp", pa.timestamp("us", tz="UTC")), ("native_local", pa.timestamp("us"))]
)


def file_format(path: Path) -> str | None:
    """'jsonl', 'csv' or 'parquet' from the file name (a `.gz` suffix allowed for text formats)."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        kind = FORMATS.get(suffixes[0]) if len(suffixes) == 2 else None
        return kind if kind in ("jsonl", "csv") else None
    return FORMATS.get(suffixes[-1]) if suffixes else None


def is_plain_parquet(schema: pa.Schema, source: str) -> bool:
    """True when the file's columns convert one by one (_plain_parquet_batches): only SPEC columns, simple types."""
    allowed = set(input_columns(source))
    for field in schema:
        if field.name not in allowed:
            return False
        if pa.types.is_nested(field.type) or pa.types.is_binary(field.type):
            return False
    return True


# Parquet that DuckDB reads itself: the column types whose values DuckDB sees exactly as the Arrow
# conversion below stages them. Numbers other than float64 amounts and scores, naive, date, integer and
# nanosecond timestamps are staged by that conversion, whose text and truncation rules are the contract.
DUCKDB_TIMESTAMP_UNITS = ("s", "ms", "us")
DUCKDB_NUMBER_COLUMNS = ("amount", "score")
GLOB_CHARACTERS = frozenset("*?[]{}")


def duckdb_reads(path: Path, parquet: pq.ParquetFile, source: str) -> bool:
    """True when DuckDB can read the file directly: only SPEC columns, text as strings, a time zone
    aware timestamp (required) of at most microsecond precision whose statistics show every value in
    range, amount and score as float64.

    A path DuckDB would take for a glob pattern is staged by Arrow instead, and so is a file with a
    timestamp out of range (or without statistics): DuckDB cannot read some (milliseconds past year
    294,247 fail the whole file), Arrow stages each as text that does not parse. (A text that is not
    UTF-8 is found only when DuckDB refuses the file: see ingest.ingest.)
    """
    schema = parquet.schema_arrow
    names = schema.names
    if not is_plain_parquet(schema, source) or "timestamp" not in names or len(set(names)) < len(names):
        return False
    if GLOB_CHARACTERS & set(str(path)):
        return False
    for field in schema:
        kind = field.type
        if field.name == "timestamp":
            ok = pa.types.is_timestamp(kind) and kind.tz is not None and kind.unit in DUCKDB_TIMESTAMP_UNITS
        elif field.name in DUCKDB_NUMBER_COLUMNS:
            ok = pa.types.is_float64(kind)
        else:
            ok = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        if not ok:
            return False
    return _timestamps_in_range(parquet)


def _timestamps_in_range(parquet: pq.ParquetFile) -> bool:
    """Whether every row group's statistics show the `timestamp` column within the range of instants."""
    column = parquet.schema_arrow.get_field_index("timestamp")
    # the unit of the stored values, which the Arrow type need not tell
    unit = PARQUET_TIME_UNITS.get(json.loads(parquet.schema.column(column).logical_type.to_json()).get("timeUnit"))
    if unit not in MICROSECONDS_PER:
        return False
    first, last = _range_in(unit)
    for group in range(parquet.metadata.num_row_groups):
        chunk = parquet.metadata.row_group(group).column(column)
        statistics = chunk.statistics
        if statistics is None:
            return False
        if statistics.has_min_max:
            if not first <= statistics.min_raw <= statistics.max_raw <= last:
                return False
        elif statistics.null_count != chunk.num_values:
            return False
    return True


def _range_in(unit: str) -> tuple[int, int]:
    """The range of instants in counts of a unit ('s', 'ms', 'us' or 'day')."""
    per = MICROSECONDS_PER[unit]
    return -(-FIRST_MICROSECOND // per), LAST_MICROSECOND // per


def staged_batches(path: Path, kind: str, source: str, file_id: int) -> Iterator[pa.Table]:
    """Arrow tables of at most BATCH_ROWS staged rows, in file order."""
    if kind == "parquet":
        parquet = pq.ParquetFile(path)
        if is_plain_parquet(parquet.schema_arrow, source):
            yield from _plain_parquet_batches(parquet, file_id)
            return
    known = frozenset(input_columns(source))
    batch: list[dict] = []
    for line, raw, reason, record in _rows(path, kind):
        staged = {} if record is None else normalise_record(record, known)
        staged.update(file_id=file_id, line=line, raw=raw, reject_reason=reason or staged.get("reject_reason"))
        batch.append(staged)
        if len(batch) >= BATCH_ROWS:
            yield pa.Table.from_pylist(batch, schema=STAGED_SCHEMA)
            batch = []
    if batch:
        yield pa.Table.from_pylist(batch, schema=STAGED_SCHEMA)


def _rows(path: Path, kind: str) -> Iterator[tuple[int, str | None, str | None, dict | None]]:
    """(line, raw text, reason it is rejected already, the row as a dict) for every row."""
    if kind == "jsonl":
        return _jsonl_rows(path)
    if kind == "csv":
        return _csv_rows(path)
    return _parquet_rows(path)


def _plain_parquet_batches(parquet: pq.ParquetFile, file_id: int) -> Iterator[pa.Table]:
    """SPEC columns converted column by column, no Python per row (but for the texts of a column
    holding bytes that are not UTF-8)."""
    first_row = 1
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS * 4):
        rows = batch.num_rows
        not_utf8 = [False] * rows
        columns = {
            "file_id": pa.repeat(pa.scalar(file_id, pa.int32()), rows),
            "line": pa.array(range(first_row, first_row + rows), pa.int64()),
            "raw": pa.nulls(rows, pa.string()),
            "reject_reason": pa.nulls(rows, pa.string()),
            "native_timestamp": pa.nulls(rows, pa.timestamp("us", tz="UTC")),
            "native_local": pa.nulls(rows, pa.timestamp("us")),
        }
        for name in STAGED_TEXT_COLUMNS:
            columns[name] = pa.nulls(rows, pa.string())
        for name, values in zip(batch.schema.names, batch.columns):
            if name == "timestamp" and _is_native_timestamp(values.type):
                columns.update(_staged_native_timestamps(values))
            else:
                columns[name] = _utf8_texts(values.cast(pa.string()), not_utf8)
        if any(not_utf8):
            columns["reject_reason"] = pa.array([REASON_NON_UTF8 if bad else None for bad in not_utf8], pa.string())
        first_row += rows
        yield pa.table(columns, schema=STAGED_SCHEMA)


def _utf8_texts(texts: pa.Array, not_utf8: list[bool]) -> pa.Array:
    """A string column as it is when it is all UTF-8 (the usual case), else mended (see _mended_values)."""
    try:
        texts.validate(full=True)
    except pa.ArrowInvalid:
        return pa.array(_mended_values(texts, not_utf8), pa.string())
    return texts


def _is_native_timestamp(kind: pa.DataType) -> bool:
    """A timestamp, a date or an integer (epoch milliseconds) column."""
    return pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_integer(kind)


def _staged_native_timestamps(values: pa.Array) -> dict[str, pa.Array]:
    """A native `timestamp` column as staged columns: native_timestamp (aware timestamps, epoch
    milliseconds) or native_local (naive timestamps, dates) in microseconds, and `timestamp`, the text
    of each value out of range."""
    kind = values.type
    if pa.types.is_integer(kind):
        target, unit = "native_timestamp", "ms"
    else:
        target = "native_timestamp" if pa.types.is_timestamp(kind) and kind.tz is not None else "native_local"
        unit = kind.unit if pa.types.is_timestamp(kind) else "day"
    staged = {}
    in_range = _in_range(values)
    if in_range is not None:
        staged["timestamp"] = _out_of_range_texts(values, in_range)
        values = pc.if_else(in_range, values, pa.scalar(None, kind))
    if pa.types.is_integer(kind):
        values = values.cast(pa.int64()).cast(pa.timestamp(unit, tz="UTC"))
    staged[target] = values.cast(STAGED_SCHEMA.field(target).type, safe=False)  # nanoseconds truncated
    return staged


def _in_range(values: pa.Array) -> pa.Array | None:
    """Where a native timestamp column (see _is_native_timestamp) holds an instant in range; None when
    every value is (the usual case, found from the column's minimum and maximum)."""
    kind = values.type
    if pa.types.is_timestamp(kind) and kind.unit == "ns":
        return None  # 64-bit nanoseconds span the years 1677 to 2262
    if pa.types.is_integer(kind):
        unit = "ms"
        if kind == pa.uint64():  # beyond int64 is out of range all the same
            values = pc.min_element_wise(values, pa.scalar(2**63 - 1, kind))
    else:
        unit = kind.unit if pa.types.is_timestamp(kind) else "day"
        values = values.cast(pa.int32()) if pa.types.is_date32(kind) else values
    counts = values.cast(pa.int64())
    first, last = _range_in(unit)
    extremes = pc.min_max(counts)
    if extremes["min"].as_py() is None or first <= extremes["min"].as_py() <= extremes["max"].as_py() <= last:
        return None
    return pc.and_(pc.greater_equal(counts, first), pc.less_equal(counts, last))


def _out_of_range_texts(values: pa.Array, in_range: pa.Array) -> pa.Array:
    """The text of each value out of range, null elsewhere: an integer as it is, a timestamp or date as
    its count and type (`9007199254740992 (timestamp[s, tz=UTC])`), text no timestamp rule reads."""
    kind = values.type
    if pa.types.is_integer(kind):
        texts = values.cast(pa.string())
    else:
        counts = (values.cast(pa.int32()) if pa.types.is_date32(kind) else values).cast(pa.int64())
        texts = pc.binary_join_element_wise(counts.cast(pa.string()), f" ({kind})", "")
    return pc.if_else(in_range, pa.scalar(None, pa.string()), texts)


def _open_binary(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def _jsonl_rows(path: Path) -> Iterator[tuple[int, str | None, str | None, dict | None]]:
    with _open_binary(path) as handle:
        for number, line in enumerate(handle, start=1):
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                yield number, _raw(line), REASON_NON_UTF8, None
                continue
            if not text.strip():
                continue  # blank lines are not rows
            try:
                record = parse_json(text)
            except NestedTooDeep:
                yield number, text.rstrip("\r\n"), REASON_NESTED_TOO_DEEP, None
                continue
            except ValueError:
                record = None
            if not isinstance(record, dict):
                yield number, text.rstrip("\r\n"), REASON_MALFORMED, None
                continue
            yield number, text.rstrip("\r\n"), None, record


def _csv_rows(path: Path) -> Iterator[tuple[int, str | None, str | None, dict | None]]:
    newline = _csv_line_end(path)
    with _open_binary(path) as handle:
        lines = _TrackedLines(handle, newline)
        reader = csv.reader(lines, strict=True)
        header: list[str] | None = None
        while True:
            start = lines.count + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield start, lines.take()[0], REASON_MALFORMED, None
                continue
            raw, had_bad_bytes = lines.take()
            if not fields:
                continue  # blank lines are not rows
            if header is None:
                header = fields
                continue
            if had_bad_bytes:
                yield start, raw, REASON_NON_UTF8, None
                continue
            if len(fields) != len(header):
                yield start, raw, REASON_MALFORMED, None
                continue
            yield start, raw, None, dict(zip(header, fields))


# A CSV field may be as long as a line may be (several megabytes): csv's own limit is 128 KiB.
csv.field_size_limit(2**31 - 1)


def _csv_line_end(path: Path) -> str:
    """How a CSV file ends its lines: "\\r" when its first line ends with a bare CR (old Mac and Excel
    exports), else "\\n" (LF or CRLF). A file is read with its own line end, so that a stray CR inside
    a field of an LF file stays inside its record."""
    with _open_binary(path) as handle:
        while chunk := handle.read(1 << 16):
            if found := re.search(rb"[\r\n]", chunk):
                if found.group() == b"\n":
                    return "\n"
                after = chunk[found.end():found.end() + 1] or handle.read(1)
                return "\n" if after == b"\n" else "\r"
    return "\n"


class _TrackedLines:
    """Feeds lines to csv.reader and remembers which physical lines each record used.

    Bytes that are not UTF-8 travel as lone surrogates (surrogateescape): the record is marked and its
    raw text shows them as U+FFFD.
    """

    def __init__(self, handle: io.BufferedIOBase, newline: str):
        self._lines = io.TextIOWrapper(handle, encoding="utf-8", errors="surrogateescape", newline=newline)
        self.count = 0
        self._taken: list[str] = []
        self.had_bad_bytes = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        if self.count == 0:
            line = line.removeprefix("\ufeff")
        self.count += 1
        self._taken.append(line)
        if not line.isascii() and not _is_utf8(line):
            self.had_bad_bytes = True
        return line

    def take(self) -> tuple[str, bool]:
        """The text of the lines read since the last call, and whether any was not UTF-8."""
        text = "".join(self._taken)
        if self.had_bad_bytes:
            text = text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
        had_bad_bytes = self.had_bad_bytes
        self._taken = []
        self.had_bad_bytes = False
        return text.rstrip("\r\n"), had_bad_bytes


def _is_utf8(text: str) -> bool:
    """False when the text carries bytes that were not UTF-8 (as surrogateescape's lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parquet_rows(path: Path) -> Iterator[tuple[int, str | None, str | None, dict | None]]:
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
        not_utf8 = [False] * batch.num_rows
        columns = [_python_values(values, not_utf8) for values in batch.columns]
        for values, bad in zip(zip(*columns), not_utf8):
            number += 1
            yield number, None, REASON_NON_UTF8 if bad else None, dict(zip(batch.schema.names, values))


def _python_values(values: pa.Array, not_utf8: list[bool]) -> list:
    """A Parquet column as Python values; a timestamp or date out of range (Python has no datetime
    for it) as its text (_out_of_range_texts); texts that are not UTF-8 mended (_mended_values)."""
    kind = values.type
    if not (pa.types.is_timestamp(kind) or pa.types.is_date(kind)):
        try:
            return values.to_pylist()
        except UnicodeDecodeError:
            return _mended_values(values, not_utf8)
    in_range = _in_range(values)
    if in_range is None:
        return _utc(values).to_pylist()
    texts = _out_of_range_texts(values, in_range).to_pylist()
    instants = _utc(pc.if_else(in_range, values, pa.scalar(None, kind))).to_pylist()
    return [instant if text is None else text for instant, text in zip(instants, texts)]


def _mended_values(values: pa.Array, not_utf8: list[bool]) -> list:
    """A column's Python values with the bytes of its texts (at any depth) that are not UTF-8 as U+FFFD;
    each row that held any is marked in not_utf8. Only for a column where Arrow found such bytes."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    kind = values.type
    mended = []
    for row, value in enumerate(values.view(_as_bytes(kind)).to_pylist()):
        found: list[bytes] = []
        mended.append(_decoded(value, kind, found))
        not_utf8[row] = not_utf8[row] or bool(found)
    return mended


def _as_bytes(kind: pa.DataType) -> pa.DataType:
    """The type with binary in place of every string in it: a column viewed so reads its texts as bytes."""
    if pa.types.is_string(kind):
        return pa.binary()
    if pa.types.is_large_string(kind):
        return pa.large_binary()
    if pa.types.is_struct(kind):
        return pa.struct([field.with_type(_as_bytes(field.type)) for field in kind])
    if pa.types.is_map(kind):
        return pa.map_(kind.key_field.with_type(_as_bytes(kind.key_type)),
                       kind.item_field.with_type(_as_bytes(kind.item_type)), kind.keys_sorted)
    if pa.types.is_list(kind):
        return pa.list_(kind.value_field.with_type(_as_bytes(kind.value_type)))
    if pa.types.is_large_list(kind):
        return pa.large_list(kind.value_field.with_type(_as_bytes(kind.value_type)))
    if pa.types.is_fixed_size_list(kind):
        return pa.list_(kind.value_field.with_type(_as_bytes(kind.value_type)), kind.list_size)
    return kind


def _decoded(value, kind: pa.DataType, found: list[bytes]):
    """A value read through _as_bytes(kind) with its texts decoded, bytes that are not UTF-8 as U+FFFD;
    each text that held any is appended to `found`."""
    if value is None:
        return None
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            found.append(value)
            return value.decode("utf-8", errors="replace")
    if pa.types.is_struct(kind):
        return {field.name: _decoded(value[field.name], field.type, found) for field in kind}
    if pa.types.is_map(kind):
        return [(_decoded(key, kind.key_type, found), _decoded(item, kind.item_type, found)) for key, item in value]
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return [_decoded(item, kind.value_type, found) for item in value]
    return value


def _utc(values: pa.Array) -> pa.Array:
    """Aware timestamps in UTC: in their own zone, an instant late in year 9999 has no Python datetime."""
    kind = values.type
    return values.cast(pa.timestamp(kind.unit, tz="UTC")) if pa.types.is_timestamp(kind) and kind.tz else values


def _raw(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r\n")


def normalise_record(record: dict, known: frozenset[str]) -> dict:
    """One input row (a JSON object, a CSV record or a Parquet row) as staged columns.

    `known` are the source's own column names. Segment keys are renamed, other columns are folded
    into `properties` (a key already there wins, empty values are dropped), and every value becomes
    text: identifiers from JSON numbers equal the same identifiers written as text in CSV. Columns
    the row lacks are absent from the result. A `properties` text nested too deep is staged as it is,
    with its reject reason.
    """
    if any(key in record for key in SEGMENT_KEYS):
        record = _from_segment(dict(record))
    staged: dict = {}
    try:
        properties, unparsed = _properties(record.get("properties"))
    except NestedTooDeep:
        properties, unparsed = {}, None
        staged.update(properties=record["properties"], reject_reason=REASON_NESTED_TOO_DEEP)
    for key, value in record.items():
        if key in known:
            if key == "properties":
                continue
            if key == "timestamp" and isinstance(value, datetime):
                staged["native_local" if value.tzinfo is None else "native_timestamp"] = value
            elif key == "timestamp" and isinstance(value, date):
                staged["native_local"] = datetime(value.year, value.month, value.day)
            elif key == "timestamp" and type(value) is int:
                staged["native_timestamp"] = _epoch_ms(value)
                if staged["native_timestamp"] is None:
                    staged[key] = str(value)  # out of range: stays text, which will not parse
            else:
                staged[key] = value if type(value) is str else _text(value)
        elif key not in properties and not _is_empty(value):
            properties[key] = value
    if unparsed is not None:
        properties.setdefault("properties_unparsed", unparsed)
    if properties:
        staged["properties"] = _canonical_json(properties)
    return staged


class NestedTooDeep(Exception):
    """A JSON text nested more than MAX_NESTING levels deep."""


def parse_json(text: str):
    """A JSON text as Python values, its lone surrogate escapes (`"\\ud800"`, half of a character that a
    client cut in two) read as U+FFFD; raises NestedTooDeep past MAX_NESTING levels."""
    try:
        value = json.loads(text)
    except RecursionError as error:
        raise NestedTooDeep from error
    if text.count("[") + text.count("{") > MAX_NESTING and _nesting(value) > MAX_NESTING:
        raise NestedTooDeep
    if "\\ud" in text or "\\uD" in text:
        value = _mended(value)
    return value


def _nesting(value) -> int:
    """Levels of arrays and objects in a parsed JSON value (a scalar has none), without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in children)
    return deepest


def _mended(value):
    """The value with every lone surrogate in its texts (keys included) replaced by U+FFFD."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_mended(item) for item in value]
    if isinstance(value, dict):
        return {_mended(key): _mended(item) for key, item in value.items()}
    return value


def is_nested_too_deep(text: str) -> bool:
    """Whether a text is JSON nested more than MAX_NESTING levels deep (the SQL side of the rule)."""
    try:
        parse_json(text)
    except NestedTooDeep:
        return True
    except ValueError:
        return False
    return False


def mended_json(text: str) -> str:
    """A JSON text with its lone surrogate escapes as U+FFFD (in canonical form); other text as it is."""
    try:
        return _canonical_json(parse_json(text))
    except (ValueError, NestedTooDeep):
        return text


def _epoch_ms(milliseconds: int) -> datetime | None:
    """A JSON integer timestamp: epoch milliseconds, negative ones included (SPEC section 1)."""
    try:
        return EPOCH + timedelta(milliseconds=milliseconds)
    except OverflowError:
        return None


def _from_segment(record: dict) -> dict:
    for segment_key, key in SEGMENT_KEYS.items():
        if segment_key in record:
            value = record.pop(segment_key)
            if _is_empty(record.get(key)):
                record[key] = value
    if record.get("type") == "page" and _is_empty(record.get("event")):
        record["event"] = "page_view"
    context = record.get("context")
    if isinstance(context, dict):
        context = json.loads(_canonical_json(context))  # a copy we may prune
        for (group, leaf), key in SEGMENT_CONTEXT.items():
            values = context.get(group)
            if isinstance(values, dict) and leaf in values:
                value = values.pop(leaf)
                if _is_empty(record.get(key)):
                    record[key] = value
                if not values:
                    del context[group]
        if context:
            record["context"] = context
        else:
            del record["context"]
    return record


def _properties(value) -> tuple[dict, str | None]:
    """The row's own properties as a dict, and its text when that text is not a JSON object."""
    if _is_empty(value):
        return {}, None
    if isinstance(value, dict):
        return dict(value), None
    if isinstance(value, str):
        try:
            parsed = parse_json(value)
        except ValueError:
            return {}, value
        if isinstance(parsed, dict):
            return parsed, None
    return {}, _text(value)


def _is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value) -> str | None:
    """Text of a value; None when missing. Integral numbers print without a fraction."""
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):  # Parquet decimals: amounts, scores
        return str(value)
    return _canonical_json(value)


def _canonical_json(value) -> str:
    """Sorted keys, no spaces; values JSON cannot hold (Parquet dates, decimals) as their text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def same_properties(left: str | None, right: str | None) -> bool:
    """Whether two stored properties texts hold the same JSON (key order does not matter)."""
    if left is None or right is None:
        return left is right
    return json.loads(left) == json.loads(right)
