"""Writing landing files: their styles (format, compression, quirks), piece by piece, and what each holds.

`Sink.write` takes one piece of a file's rows, makes some of them into rejected rows (bad_rows.py)
and appends the piece: Parquet with exactly SPEC columns and a native TIMESTAMP (one row group per
piece), or JSON Lines / CSV with timestamps in varied forms, Segment-style rows and the other quirks
of real exports. `FileReport` counts what went in, so tests know what ingest should find.
"""

import csv
import gzip
import io
import json
import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from journey_samples.bad_rows import (KIND_NAMES, NON_UTF8_TEXTS, NOT_QUARANTINED, UNPARSEABLE_TIMESTAMPS,
                                      bad_row_kinds, emptied_columns, plan_bad_rows, with_bad_rows)
from journey_samples.events import CLICKSTREAM, CLICKSTREAM_COLUMNS, CRM, CRM_COLUMNS, CRM_EXTRA_COLUMN, EPOCH, Events


@dataclass(frozen=True)
class FileStyle:
    """How one landing file is written."""

    kind: str  # "jsonl", "csv" or "parquet"
    gzip: bool = False
    segment_rows: bool = False  # rows from the mobile SDK keep Segment's form
    explicit_nulls: bool = False  # JSON: write null for a missing value instead of leaving the key out
    byte_order_mark: bool = False
    line_end: str = "\n"

    @property
    def suffix(self) -> str:
        return "." + self.kind + (".gz" if self.gzip else "")


MIXED_STYLES = {
    CLICKSTREAM: (FileStyle("jsonl", gzip=True, segment_rows=True), FileStyle("parquet"),
                  FileStyle("jsonl", explicit_nulls=True)),
    CRM: (FileStyle("csv", gzip=True, line_end="\r\n"), FileStyle("jsonl"), FileStyle("csv", byte_order_mark=True)),
}
SINGLE_STYLES = {
    "parquet": FileStyle("parquet"),
    "jsonl": FileStyle("jsonl", gzip=True, segment_rows=True),
    "csv": FileStyle("csv", gzip=True),
}


# --- The report ------------------------------------------------------------------------------------


@dataclass
class FileReport:
    """One written file: its rows as ingest counts them, and what was put into them."""

    path: str  # relative to the landing folder
    source: str
    file_format: str  # e.g. "jsonl.gz", "parquet"
    rows: int = 0  # rows ingest reads (blank lines are not rows)
    overlap_rows: int = 0  # events of the previous export repeated exactly
    late_rows: int = 0  # events that belong to an earlier export's window
    segment_rows: int = 0
    blank_lines: int = 0
    bad_rows: dict[str, int] = field(default_factory=dict)  # kind -> rows

    @property
    def duplicates(self) -> int:
        """Rows ingest should count as duplicates (a whole landing folder loaded in order)."""
        return self.overlap_rows + self.bad_rows.get("exact_duplicate", 0)

    @property
    def quarantined(self) -> int:
        """Rows ingest should quarantine."""
        return sum(count for kind, count in self.bad_rows.items() if kind not in NOT_QUARANTINED)

    @property
    def loaded(self) -> int:
        return self.rows - self.duplicates - self.quarantined


# --- Writing files ---------------------------------------------------------------------------------

TIMESTAMP_FORMS = ("iso_z", "offset_colon", "offset_compact", "offset_hours", "naive", "epoch_number", "epoch_text")
TIMESTAMP_FORM_WEIGHTS = (35, 15, 10, 4, 12, 14, 8)
OFFSET_MINUTES = (120, 60, -300, 330, -240, 0)
SEGMENT_LIBRARY = {"name": "analytics-ios", "version": "4.1.8"}
PARQUET_SCHEMAS = {
    CLICKSTREAM: pa.schema([(name, pa.timestamp("us", tz="UTC") if name == "timestamp" else pa.string())
                            for name in CLICKSTREAM_COLUMNS]),
    CRM: pa.schema([(name, pa.timestamp("us", tz="UTC") if name == "timestamp" else
                     pa.float64() if name in ("amount", "score") else pa.string()) for name in CRM_COLUMNS]),
}


def open_sink(path: Path, out: Path, source: str, style: FileStyle) -> "Sink":
    path.parent.mkdir(parents=True, exist_ok=True)
    report = FileReport(path.relative_to(out).as_posix(), source, style.suffix.lstrip("."))
    if style.kind == "parquet":
        return ParquetSink(path, source, style, report)
    return TextSink(path, source, style, report)


class Sink:
    """One landing file being written, piece by piece."""

    def __init__(self, path: Path, source: str, style: FileStyle, report: FileReport):
        self.path = path
        self.source = source
        self.style = style
        self.report = report
        self.kinds = bad_row_kinds(source, style.kind)

    def write(self, piece: Events, late: np.ndarray, overlap: np.ndarray, eligible: np.ndarray,
              rng: np.random.Generator, rnd: random.Random) -> None:
        plan = plan_bad_rows(rng, piece.size, eligible, self.kinds) if eligible.any() else {}
        self.report.late_rows += int(late.sum())
        self.report.overlap_rows += int(overlap.sum())
        for kind, positions in plan.items():
            if positions.size:
                self.report.bad_rows[kind] = self.report.bad_rows.get(kind, 0) + positions.size
        rows, kinds = with_bad_rows(piece, plan, rng) if plan else (piece, np.zeros(piece.size, dtype=np.int8))
        self.report.rows += rows.size
        self._write_rows(rows.table(), kinds, rnd)

    def _write_rows(self, rows: pa.Table, kinds: np.ndarray, rnd: random.Random) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class ParquetSink(Sink):
    """Parquet with exactly SPEC columns and a native TIMESTAMP, one row group per piece."""

    def __init__(self, path: Path, source: str, style: FileStyle, report: FileReport):
        super().__init__(path, source, style, report)
        self.schema = PARQUET_SCHEMAS[source]
        # event ids are unique, so a dictionary would only cost time; statistics on the time column
        # alone let readers skip row groups by time without paying for them on every text column
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd",
                                       use_dictionary=[name for name in self.schema.names if name != "event_id"],
                                       write_statistics=["timestamp"])

    def _write_rows(self, rows: pa.Table, kinds: np.ndarray, rnd: random.Random) -> None:
        columns = {name: rows.column(name) for name in self.schema.names if name != "timestamp"}
        columns["timestamp"] = pc.multiply(rows.column("at_ms"), 1000).cast(self.schema.field("timestamp").type)
        self.writer.write_table(pa.table(columns).select(self.schema.names).cast(self.schema))

    def close(self) -> None:
        self.writer.close()


class TextSink(Sink):
    """JSON Lines or CSV, optionally gzip (mtime 0, so the bytes depend on the rows only)."""

    def __init__(self, path: Path, source: str, style: FileStyle, report: FileReport):
        super().__init__(path, source, style, report)
        self.raw = open(path, "wb")
        self.handle: BinaryIO = (gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0)
                                 if style.gzip else self.raw)
        self.columns = CLICKSTREAM_COLUMNS if source == CLICKSTREAM else CRM_COLUMNS + (CRM_EXTRA_COLUMN,)
        if style.kind == "csv":
            header = ("\ufeff" if style.byte_order_mark else "") + ",".join(self.columns) + style.line_end
            self.handle.write(header.encode())

    def _write_rows(self, rows: pa.Table, kinds: np.ndarray, rnd: random.Random) -> None:
        blank_before = set()
        if self.style.kind == "jsonl" and kinds.any():
            blank_before = {rnd.randrange(rows.num_rows + 1) for _ in range(1 + rows.num_rows // 1000)}
        lines: list[bytes] = []
        for number, (row, kind) in enumerate(zip(rows.to_pylist(), map(KIND_NAMES.__getitem__, kinds))):
            if number in blank_before:
                lines.append(rnd.choice((b"\n", b"   \n", b"\t\r\n")))
                self.report.blank_lines += 1
            if kind == "exact_duplicate":
                lines.append(lines[-1])  # its original was the row before
                continue
            if self.style.segment_rows and row["segment"]:
                self.report.segment_rows += 1
                lines.append((json.dumps(_segment_record(row)) + "\n").encode())
            elif self.style.kind == "jsonl":
                lines.append(self._json_line(row, kind, rnd))
            else:
                lines.append(self._csv_line(row, kind, rnd))
        if rows.num_rows in blank_before:
            lines.append(b"\n")
            self.report.blank_lines += 1
        self.handle.write(b"".join(lines))

    def _values(self, row: dict, kind: str | None, rnd: random.Random, *, numbers: bool) -> dict:
        """The row's value per column as written: timestamps in varied forms, emptied columns varied."""
        values = {}
        for column in self.columns:
            if column == "timestamp":
                values[column] = (rnd.choice(UNPARSEABLE_TIMESTAMPS) if kind == "unparseable_timestamp"
                                  else None if row["at_ms"] is None
                                  else _timestamp_text(row["at_ms"], rnd, numbers=numbers))
            else:
                values[column] = row[column]
        for column in emptied_columns(kind, self.source):
            values[column] = rnd.choice((None, "", "  "))
        return values

    def _json_line(self, row: dict, kind: str | None, rnd: random.Random) -> bytes:
        record = {}
        for column, value in self._values(row, kind, rnd, numbers=True).items():
            if column == "properties" and value:
                value = json.loads(value)
            elif column == "customer_id" and value and value.isdigit() and rnd.random() < 0.5:
                value = int(value)  # the same identifier as the text "7000123" in CSV
            if value is not None or self.style.explicit_nulls:
                record[column] = value
        if kind == "non_utf8":
            _add_latin1_text(record, self.source, rnd)
            return json.dumps(record, ensure_ascii=False).encode("latin-1") + b"\n"
        text = json.dumps(record)
        if kind == "malformed":
            text = _malformed_json(text, record, rnd)
        return (text + "\n").encode()

    def _csv_line(self, row: dict, kind: str | None, rnd: random.Random) -> bytes:
        values = self._values(row, kind, rnd, numbers=False)
        if values.get("amount") is not None:
            values["amount"] = f"{values['amount']:.2f}" if rnd.random() < 0.5 else _number_text(values["amount"])
        if values.get("score") is not None:
            values["score"] = _number_text(values["score"])
        encoding = "utf-8"
        if kind == "non_utf8":
            values["properties"] = json.loads(values["properties"] or "{}")
            _add_latin1_text(values, self.source, rnd)
            values["properties"] = json.dumps(values["properties"], ensure_ascii=False, separators=(",", ":"))
            encoding = "latin-1"
        fields = ["" if value is None else str(value) for value in values.values()]
        if kind == "malformed":
            # an unquoted comma added a field, or the record was cut short
            fields = fields + ["Paris"] if rnd.random() < 0.5 else fields[:rnd.randint(3, len(fields) - 2)]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=self.style.line_end).writerow(fields)
        return buffer.getvalue().encode(encoding)

    def close(self) -> None:
        self.handle.close()
        self.raw.close()


def _segment_record(row: dict) -> dict:
    """A clickstream row as Segment's mobile SDK sends it: camelCase ids, context, type "page" or "track"."""
    page_view = row["event"] == "page_view"
    record = {"messageId": row["event_id"], "anonymousId": row["anonymous_id"], "userId": row["user_id"],
              "type": "page" if page_view else "track"}
    if not page_view:
        record["event"] = row["event"]
    at_ms = row["at_ms"]
    record["timestamp"] = f"{EPOCH + timedelta(milliseconds=at_ms):%Y-%m-%dT%H:%M:%S}.{at_ms % 1000:03d}Z"
    context: dict = {"library": SEGMENT_LIBRARY}
    if row["page_url"]:
        context["page"] = {"url": row["page_url"]}
        if row["referrer"]:
            context["page"]["referrer"] = row["referrer"]
    if row["utm_source"]:
        context["campaign"] = {"source": row["utm_source"], "medium": row["utm_medium"], "name": row["utm_campaign"]}
    record["context"] = context
    record["properties"] = json.loads(row["properties"]) if row["properties"] else {}
    return record


def _timestamp_text(at_ms: int, rnd: random.Random, *, numbers: bool) -> str | int:
    """One of the timestamp forms SPEC section 1 accepts, picked at random; always the same instant."""
    form = rnd.choices(TIMESTAMP_FORMS, TIMESTAMP_FORM_WEIGHTS)[0]
    if form == "epoch_number" and numbers:
        return at_ms
    if form in ("epoch_number", "epoch_text"):
        return str(at_ms)
    offset = 0
    if form in ("offset_colon", "offset_compact"):
        offset = rnd.choice(OFFSET_MINUTES)
    elif form == "offset_hours":
        offset = rnd.choice([minutes for minutes in OFFSET_MINUTES if minutes % 60 == 0])
    wall = EPOCH + timedelta(milliseconds=at_ms + offset * 60_000)
    separator = " " if form in ("offset_colon", "naive") and rnd.random() < 0.5 else "T"
    text = wall.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    if at_ms % 1000:
        text += f".{at_ms % 1000:03d}"
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    suffix = {"iso_z": "Z", "naive": "", "offset_colon": f"{sign}{hours:02d}:{minutes:02d}",
              "offset_compact": f"{sign}{hours:02d}{minutes:02d}", "offset_hours": f"{sign}{hours:02d}"}[form]
    return text + suffix


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _add_latin1_text(values: dict, source: str, rnd: random.Random) -> None:
    """Put an accented text into the row; written in Latin-1, the line is not valid UTF-8."""
    text = rnd.choice(NON_UTF8_TEXTS[source])
    if source == CRM:
        values[CRM_EXTRA_COLUMN] = text
    else:
        values["properties"] = dict(values.get("properties") or {}, page_title=text)


def _malformed_json(text: str, record: dict, rnd: random.Random) -> str:
    """A line that is not a JSON object: cut short mid-row, or an array."""
    if rnd.random() < 0.25:
        return json.dumps(list(record.values()))
    return text[:rnd.randint(len(text) // 3, len(text) - 2)]
