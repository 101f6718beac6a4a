"""Ingest: input files into the events table, every row accounted for (loaded, duplicate or quarantined).

One run is one transaction: a run that fails (a file over the quarantine threshold, a kill) leaves
the database as it was before the run. A file is known by its source and content hash, so loading
it again, under any name, loads nothing and reports the counts of its first load.

A run keeps one narrow row per input row (position, event id, reject reason); the rows themselves
stay where they are staged, and Parquet in the common shape is not staged at all but read by DuckDB
at each step (readers.duckdb_reads). Only the few rows that are not loaded (rejected, repeats) are
copied whole, to be compared and quarantined.
"""

import errno
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from journey_mining import db, pseudonyms, readers, sql
from journey_mining.columns import SOURCES
from journey_mining.errors import JourneyError, UsageError

QUARANTINE_THRESHOLD = 0.05
FAR_FUTURE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class FileCounts:
    """How the rows of one input file were accounted for: read = loaded + duplicates + quarantined."""

    path: str
    source: str
    read: int
    loaded: int
    duplicates: int
    quarantined: int
    already_loaded: bool = False

    def as_json(self) -> dict:
        """The per-file object of `journeys ingest --json` and summary.json."""
        counts = asdict(self)
        del counts["already_loaded"]
        return counts


def input_files(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, str]]:
    """Each input file with its format; folders are read recursively in sorted path order.

    Inside a folder, files of other types and hidden files are passed over; a file named directly
    must be of a known type. Paths are resolved, and files reached through a folder must stay inside it.
    """
    found: list[tuple[Path, str]] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            root = path.resolve()
            for candidate in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in candidate.relative_to(path).parts):
                    continue
                if not candidate.resolve().is_relative_to(root):
                    raise JourneyError(f"{candidate}: leads outside the folder {path}; not read")
                if kind := readers.file_format(candidate):
                    found.append((candidate, kind))
        elif path.is_file():
            kind = readers.file_format(path)
            if kind is None:
                raise JourneyError(
                    f"{path}: not a supported file type (.jsonl, .json, .csv, optionally .gz; .parquet)")
            found.append((path, kind))
        else:
            raise JourneyError(f"{path}: no such file or folder")
    return found


def landing_days(landing: Path) -> list[Path]:
    """The day folders (`YYYY-MM-DD`) of a landing folder, oldest first; other folders are passed over."""
    def is_day(name: str) -> bool:
        try:
            return date.fromisoformat(name).isoformat() == name
        except ValueError:
            return False

    if not landing.is_dir():
        return []
    return sorted(folder for folder in landing.iterdir() if folder.is_dir() and is_day(folder.name))


def ingest(con: duckdb.DuckDBPyConnection, source: str, paths: Sequence[str | os.PathLike], *,
           tz: str = "UTC", now: datetime | None = None,
           quarantine_threshold: float = QUARANTINE_THRESHOLD,
           far_future_margin: timedelta = FAR_FUTURE_MARGIN,
           progress: Callable[[str], None] | None = None) -> list[FileCounts]:
    """Load files of one source into `events`, in one transaction; return the counts per file."""
    if source not in SOURCES:
        raise UsageError(f"unknown source {source!r}: expected one of {', '.join(SOURCES)}")
    _check_time_zone(con, tz)
    files = input_files(paths)
    now = now or datetime.now(timezone.utc)
    say = progress or (lambda message: None)

    # functions and macros are made outside the run's transaction: a rollback would take them away
    key = pseudonyms.pseudonymisation_key(con)
    pseudonyms.register(con, key)
    sql.register_function(con, "same_properties", _same_properties, ["VARCHAR", "VARCHAR"], "BOOLEAN",
                          nulls_in=True)
    sql.register_function(con, "arrow_number_text", _arrow_number_text, ["DOUBLE"], "VARCHAR")
    sql.register_function(con, "nested_too_deep", _nested_too_deep, ["VARCHAR"], "BOOLEAN")
    sql.register_function(con, "mended_json", _mended_json, ["VARCHAR"], "VARCHAR")
    sql.run_steps(con, "ingest", {}, phase="macros")
    refused: set[str] = set()
    while True:
        try:
            return _ingest_files(con, source, files, tz, now, quarantine_threshold, far_future_margin, say, refused)
        except _NotUtf8Parquet as refusal:
            # DuckDB refuses a whole file for one text that is not UTF-8, and aborts the run's
            # transaction: the run starts again with that file staged through Arrow, which quarantines
            # the row alone. The usual file, all UTF-8, pays nothing for the check.
            refused.add(refusal.path)
            say(f"{refusal.path}: a text is not UTF-8; starting again with the file read through Arrow")


class _NotUtf8Parquet(Exception):
    """DuckDB refused a Parquet file it read itself: a text in it is not UTF-8."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


def _ingest_files(con, source: str, files: list[tuple[Path, str]], tz: str, now: datetime,
                  quarantine_threshold: float, far_future_margin: timedelta, say: Callable[[str], None],
                  refused: set[str]) -> list[FileCounts]:
    """One attempt at ingest's transaction; `refused` are Parquet files DuckDB is not to read itself."""
    new_files, parquet_files = {}, {}
    con.begin()
    try:
        sql.run_steps(con, "ingest", {}, phase="staging")
        new_files, digests, skipped, parquet_files = _stage(con, source, files, say, refused)
        if new_files:
            if parquet_files:
                file_ids = [file_id for file_id, _ in parquet_files.values()]
                sql.run_steps(con, "ingest", {"paths": list(parquet_files), "file_ids": file_ids},
                              phase="staged_with_parquet")
            else:
                sql.run_steps(con, "ingest", {}, phase="staged")
            # events are loaded before the repeats are compared, which makes events the one place that
            # holds the first row of every key; a run over the threshold is rolled back all the same
            sql.run_steps(con, "ingest", {"source": source, "tz": tz, "far_future_after": now + far_future_margin},
                          phase="load")
            counts = _counted(con, source, new_files)
            _check_quarantine_share(con, counts, new_files, quarantine_threshold)
            sql.run_steps(con, "ingest", {}, phase="quarantine")
            for file_id, (path, digest, size) in new_files.items():
                file_counts = counts[file_id]
                con.execute(
                    "insert into ingested_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [file_id, file_counts.path, source, digest, size, file_counts.read, file_counts.loaded,
                     file_counts.duplicates, file_counts.quarantined, now])
            _check_unchanged(parquet_files, new_files)
        con.commit()
    except (duckdb.IOException, duckdb.InvalidInputException) as error:
        db.rollback(con)
        if refused_path := _not_utf8_parquet(error, parquet_files):
            raise _NotUtf8Parquet(refused_path) from error
        if unreadable := _unreadable_parquet(error, parquet_files, new_files):
            raise unreadable from error
        raise
    except BaseException:
        db.rollback(con)
        raise
    finally:
        # the run's work tables hold rows as read (emails in clear): gone with the run
        for drop in ("drop view if exists staged", "drop table if exists staged_rows",
                     "drop table if exists ingest_rows", "drop table if exists ingest_repeats",
                     "drop table if exists ingest_set_aside", "drop table if exists ingest_outcomes",
                     "reset variable ingest_parquet_files"):
            con.execute(drop).fetchall()
    return [_stored_counts(con, source, digests[path], already_loaded=path in skipped) for path, _ in files]


def _stage(con, source: str, files: list[tuple[Path, str]], say: Callable[[str], None], refused: set[str]
           ) -> tuple[dict[int, tuple[str, str, int]], dict[Path, str], set[Path], dict[str, tuple[int, int]]]:
    """Stage the rows of files not loaded before (Parquet DuckDB refused, by absolute path, staged too).

    Returns the new files by id (path, hash, bytes), every file's hash, the files passed over
    because the same content was loaded before (in an earlier run or earlier in this one), and the
    new Parquet files DuckDB reads itself, not staged (absolute path: file id and modification time
    when it was hashed).
    """
    (next_id,) = sql.one(con, "select coalesce(max(file_id), 0) + 1 from ingested_files")
    new_files: dict[int, tuple[str, str, int]] = {}
    digests: dict[Path, str] = {}
    skipped: set[Path] = set()
    seen_this_run: set[str] = set()
    parquet_files: dict[str, tuple[int, int]] = {}
    for position, (path, kind) in enumerate(files, start=1):
        modified_ns = path.stat().st_mtime_ns
        digest, size = _file_digest(path)
        digests[path] = digest
        already = sql.one(con, "select 1 from ingested_files where source = ? and sha256 = ?",
                              [source, digest])
        if already or digest in seen_this_run:
            skipped.add(path)
            say(f"[{position}/{len(files)}] {path}: loaded before, skipped")
            continue
        seen_this_run.add(digest)
        file_id = next_id
        next_id += 1
        new_files[file_id] = (str(path), digest, size)
        try:
            if (kind == "parquet" and str(path.resolve()) not in refused
                    and (rows := _duckdb_rows(path, source)) is not None):
                parquet_files[str(path.resolve())] = (file_id, modified_ns)
            else:
                rows = 0
                for batch in readers.staged_batches(path, kind, source, file_id):
                    _append_staged(con, batch)
                    rows += batch.num_rows
        except (OSError, EOFError, pa.ArrowException) as error:
            if isinstance(error, OSError) and error.errno == errno.ENOSPC:
                raise  # the database's disk is full (staging writes there), not the file unreadable
            raise JourneyError(f"{path}: cannot be read: {error}") from error
        say(f"[{position}/{len(files)}] {path}: {rows} rows read")
    return new_files, digests, skipped, parquet_files


def _duckdb_rows(path: Path, source: str) -> int | None:
    """The number of rows of a Parquet file that DuckDB reads itself (readers.duckdb_reads); else None."""
    with pq.ParquetFile(path) as parquet:
        if readers.duckdb_reads(path.resolve(), parquet, source):
            return parquet.metadata.num_rows
    return None


def _not_utf8_parquet(error: duckdb.Error, parquet_files: dict[str, tuple[int, int]]) -> str | None:
    """The Parquet file of the run DuckDB refused for a text that is not UTF-8, if that was the error."""
    message = str(error)
    if "not valid UTF8" in message:
        return next((path for path in parquet_files if f'"{path}"' in message), None)
    return None


def _unreadable_parquet(error: duckdb.Error, parquet_files: dict[str, tuple[int, int]],
                        new_files: dict[int, tuple[str, str, int]]) -> JourneyError | None:
    """DuckDB failing to read a Parquet file of the run (a corrupt page), said as staging says it."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    for path, (file_id, _) in parquet_files.items():
        if path in message:
            return JourneyError(f"{new_files[file_id][0]}: cannot be read: {message}")
    return None


def _append_staged(con, batch: pa.Table) -> None:
    with sql.handed_over(con, {"staged_batch": batch}):
        con.execute("insert into staged_rows by name select * from staged_batch").fetchall()


def _counted(con, source: str, new_files: dict[int, tuple[str, str, int]]) -> dict[int, FileCounts]:
    rows = sql.run(con, "ingest/file_counts")
    by_file = {file_id: (read, loaded, duplicates, quarantined)
               for file_id, read, loaded, duplicates, quarantined in rows}
    return {
        file_id: FileCounts(path, source, *by_file.get(file_id, (0, 0, 0, 0)))
        for file_id, (path, _, _) in new_files.items()
    }


def _check_unchanged(parquet_files: dict[str, tuple[int, int]], new_files: dict[int, tuple[str, str, int]]) -> None:
    """DuckDB reads such a file at several steps of the run: one replaced meanwhile would mix two contents."""
    for path, (file_id, modified_ns) in parquet_files.items():
        stat = os.stat(path)
        if (stat.st_size, stat.st_mtime_ns) != (new_files[file_id][2], modified_ns):
            raise JourneyError(f"{path}: changed while it was being ingested; nothing of this run was loaded")


def _check_quarantine_share(con, counts: dict[int, FileCounts], new_files, threshold: float) -> None:
    for file_id, file_counts in counts.items():
        if file_counts.read and file_counts.quarantined / file_counts.read > threshold:
            reasons = sql.run(con, "ingest/top_reasons", {"file_id": file_id})
            listed = ", ".join(f"{reason} ({count})" for reason, count in reasons)
            raise JourneyError(
                f"{file_counts.path}: {file_counts.quarantined} of {file_counts.read} rows would be "
                f"quarantined ({file_counts.quarantined / file_counts.read:.1%}), above the "
                f"{threshold:.0%} threshold; nothing of this run was loaded. Reasons: {listed}")


def _stored_counts(con, source: str, digest: str, *, already_loaded: bool) -> FileCounts:
    """The counts of a file's first load, under the path it was first loaded from."""
    path, read, loaded, duplicates, quarantined = sql.one(
        con,
        'select path, "read", loaded, duplicates, quarantined from ingested_files '
        "where source = ? and sha256 = ?", [source, digest])
    return FileCounts(path, source, read, loaded, duplicates, quarantined, already_loaded)


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _same_properties(left: pa.Array, right: pa.Array) -> pa.Array:
    return pa.array([readers.same_properties(a, b) for a, b in zip(left.to_pylist(), right.to_pylist())],
                    pa.bool_())


def _arrow_number_text(values: pa.Array) -> pa.Array:
    """A Parquet float64 as the text Arrow gives it: how a staged Parquet number reads in quarantine."""
    return values.cast(pa.string())


def _nested_too_deep(texts: pa.Array) -> pa.Array:
    return pa.array([readers.is_nested_too_deep(text) for text in texts.to_pylist()], pa.bool_())


def _mended_json(texts: pa.Array) -> pa.Array:
    return pa.array([readers.mended_json(text) for text in texts.to_pylist()], pa.string())


def _check_time_zone(con, tz: str) -> None:
    known = sql.one(con, "select count(*) from pg_timezone_names() where name = ?", [tz])[0]
    if not known:
        raise UsageError(f"unknown time zone {tz!r} (use an IANA name such as Europe/Berlin)")


def all_file_counts(con: duckdb.DuckDBPyConnection) -> Iterator[FileCounts]:
    """Every file in the database, in load order."""
    for path, source, read, loaded, duplicates, quarantined in con.execute(
            'select path, source, "read", loaded, duplicates, quarantined from ingested_files order by file_id'
    ).fetchall():
        yield FileCounts(path, source, read, loaded, duplicates, quarantined)
