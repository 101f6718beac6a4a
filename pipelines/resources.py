"""The two things the nightly job reads and writes: the DuckDB database and the landing folder."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from journey_mining import db, ingest

# The sample exports bundled with the repository; a real deployment points JOURNEYS_LANDING elsewhere.
BUNDLED_LANDING = Path(__file__).resolve().parent.parent / "data_samples" / "landing"


class JourneysDatabase(ConfigurableResource):
    """The DuckDB database of events, quarantine, ingested files and persons.

    Connections go through journey_mining.db.connect, so a run waits for another process's lock,
    works in UTC and finds the schema in place, exactly as the `journeys` command line does.
    dagster-duckdb's DuckDBResource is not used: it opens DuckDB directly, without any of that.
    """

    path: str = Field(description="The database file (JOURNEYS_DB, else journeys.duckdb here)")

    @classmethod
    def from_environment(cls) -> "JourneysDatabase":
        return cls(path=str(db.database_path().resolve()))

    @contextmanager
    def connection(self, *, read_only: bool = False,
                   lock_timeout_s: float = db.LOCK_TIMEOUT_S) -> Iterator[duckdb.DuckDBPyConnection]:
        con = db.connect(self.path, read_only=read_only, lock_timeout_s=lock_timeout_s)
        try:
            yield con
        finally:
            con.close()

    def ingested_paths(self, *, lock_timeout_s: float) -> set[str]:
        """The paths of every file loaded so far (none before the database exists)."""
        if not Path(self.path).is_file():
            return set()
        with self.connection(read_only=True, lock_timeout_s=lock_timeout_s) as con:
            return {counts.path for counts in ingest.all_file_counts(con)}


class LandingFolder(ConfigurableResource):
    """The folder daily exports land in: `<YYYY-MM-DD>/clickstream/<files>`, `<YYYY-MM-DD>/crm/<files>`."""

    path: str = Field(description="The landing folder (JOURNEYS_LANDING, else the bundled sample exports)")
    time_zone: str = Field(default="UTC", description="The zone of timestamps written without an offset")

    @classmethod
    def from_environment(cls) -> "LandingFolder":
        return cls(path=str(Path(os.environ.get("JOURNEYS_LANDING") or BUNDLED_LANDING).resolve()))

    def days(self) -> list[str]:
        """The days an export landed, oldest first; folders not named as a date are passed over."""
        root = Path(self.path)
        if not root.is_dir():
            return []
        return sorted(folder.name for folder in root.iterdir() if folder.is_dir() and _is_day(folder.name))

    def source_folder(self, day: str, source: str) -> Path:
        return Path(self.path) / day / source

    def files(self, day: str, source: str) -> list[Path]:
        """The input files of one source landed on one day, as ingest will read them."""
        folder = self.source_folder(day, source)
        return [path for path, _ in ingest.input_files([folder])] if folder.is_dir() else []


def _is_day(name: str) -> bool:
    try:
        return date.fromisoformat(name).isoformat() == name
    except ValueError:
        return False
