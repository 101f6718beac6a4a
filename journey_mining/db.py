"""Opening the DuckDB database: where it is, waiting for another process's lock, the schema."""

import os
import re
import time
from pathlib import Path

import duckdb

from journey_mining import sql
from journey_mining.errors import JourneyError

DEFAULT_DB = "journeys.duckdb"
LOCK_TIMEOUT_S = float(os.environ.get("JOURNEYS_LOCK_TIMEOUT", "120"))
# Whose tables every database has (the [tables] phases of sql/<folder>/order.txt), in this order: identity's
# person_events reads events
SCHEMA_FOLDERS = ("ingest", "privacy", "identity")


def database_path(db: str | os.PathLike | None = None) -> Path:
    """`--db`, else the JOURNEYS_DB environment variable, else journeys.duckdb here."""
    return Path(db or os.environ.get("JOURNEYS_DB") or DEFAULT_DB)


def existing_path(db: str | os.PathLike | None = None) -> Path:
    """The database path of `database_path`, refused when no file is there: commands that only read what
    `journeys ingest` loaded must not leave an empty database behind (a mistyped `--db` would)."""
    path = database_path(db)
    if not path.is_file():
        raise JourneyError(f"{path}: no such database; run `journeys ingest` first to load events into it")
    return path


def connect(db: str | os.PathLike | None = None, *, read_only: bool = False,
            lock_timeout_s: float = LOCK_TIMEOUT_S) -> duckdb.DuckDBPyConnection:
    """Open the database, waiting up to `lock_timeout_s` while another process holds it.

    DuckDB allows one writing process per file; a second nightly run or a manual ingest started at
    the same time waits here instead of failing at random, and gives up with a clear message.
    """
    path = database_path(db)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=_settings(path))
            break
        except duckdb.IOException as error:
            message = str(error)
            if "lock" not in message.lower():
                raise JourneyError(f"{path}: cannot open the database: {_first_line(message)}") from error
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", message)
                who = f"process {holder.group(1)}" if holder else "another process"
                raise JourneyError(
                    f"{path}: the database is in use by {who}; waited {lock_timeout_s:g} s "
                    "(set JOURNEYS_LOCK_TIMEOUT to wait longer)") from error
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        except duckdb.Error as error:
            raise JourneyError(f"{path}: cannot open the database: {_first_line(str(error))}") from error
    con.execute("set TimeZone = 'UTC'")
    if not read_only:
        for folder in SCHEMA_FOLDERS:
            sql.run_steps(con, folder, {}, phase="tables")
    return con


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction, if a failed commit (a full disk) has not ended it already: the error
    that made the transaction fail is the one to report, not the rollback's own."""
    try:
        con.rollback()
    except duckdb.TransactionException:
        pass


def _settings(path: Path) -> dict:
    """Memory limit and spill folder: DuckDB keeps to JOURNEYS_MEMORY_LIMIT, else to a quarter of the machine's
    memory (its own default, 80 %, left too little for the rest of a nightly job), and spills to `<db>.tmp`
    beyond it instead of failing."""
    return {"temp_directory": str(path.with_name(path.name + ".tmp")), "memory_limit": sql.memory_limit()}


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"
