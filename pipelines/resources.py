"""What the nightly job reads and writes: the DuckDB database, the landing folder, the journey
definitions and the folder the mined journeys are exported to."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from journey_mining import db, definition, ingest
from journey_mining.definition import Definition, DefinitionError

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
# The sample exports and journey definitions bundled with the repository; a real deployment points
# JOURNEYS_LANDING and JOURNEYS_DEFINITIONS elsewhere.
BUNDLED_LANDING = SAMPLES / "landing"
BUNDLED_DEFINITIONS = SAMPLES / "definitions"
DEFAULT_OUT = "journeys_out"
DEFINITION_SUFFIXES = (".yaml", ".yml")


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
        return [folder.name for folder in ingest.landing_days(Path(self.path))]

    def source_folder(self, day: str, source: str) -> Path:
        return Path(self.path) / day / source

    def files(self, day: str, source: str) -> list[Path]:
        """The input files of one source landed on one day, as ingest will read them."""
        folder = self.source_folder(day, source)
        return [path for path, _ in ingest.input_files([folder])] if folder.is_dir() else []



class DefinitionsFolder(ConfigurableResource):
    """The folder of journey definitions (`*.yaml`, `*.yml`, one journey type each): the mined assets.

    Read when the code location loads, not at run time: each definition's name prefixes its assets'
    keys and checks, which Dagster must know before any run. After a file is added or edited, reload
    the code location (`Reload definitions` in the UI) so the asset graph and the runs follow it.
    """

    path: str = Field(description="The definitions folder (JOURNEYS_DEFINITIONS, else the bundled samples)")

    @classmethod
    def from_environment(cls) -> "DefinitionsFolder":
        return cls(path=str(Path(os.environ.get("JOURNEYS_DEFINITIONS") or BUNDLED_DEFINITIONS).resolve()))

    def definitions(self) -> list[Definition]:
        """Every definition in the folder, by file name; DefinitionError (`FILE:LINE: problem`) for the
        first invalid one, or for two files whose names would share asset keys."""
        folder = Path(self.path)
        if not folder.is_dir():
            raise DefinitionError(f"{folder}: no such folder of journey definitions (JOURNEYS_DEFINITIONS)")
        # Hidden files are editors' locks and backups, not definitions.
        files = sorted(path for path in folder.iterdir()
                       if path.suffix in DEFINITION_SUFFIXES and not path.name.startswith(".") and path.is_file())
        try:
            loaded = definition.load_all(files)
        except DefinitionError as error:
            # The message names the file, the line and the problem; the YAML reader's frames
            # would only bury it in the traceback Dagster shows for a code location that fails.
            raise DefinitionError(str(error)) from None
        journeys: dict[str, Definition] = {}
        for journey in loaded:
            # Dagster's op and group names allow ASCII letters, digits and `_` only: `a-b` and `a_b` would clash.
            other = journeys.setdefault(dagster_name(journey.name), journey)
            if other is not journey:
                raise DefinitionError(f"{journey.path}: the name {journey.name!r} and {other.name!r} of {other.path} "
                                      f"are one name to Dagster ({dagster_name(journey.name)}); rename one")
        return list(journeys.values())


def dagster_name(definition_name: str) -> str:
    """A definition name as Dagster's op and group names must be spelt: ASCII letters, digits and `_`
    (anything else becomes `_`)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", definition_name)


class OutputFolder(ConfigurableResource):
    """The folder mined journeys are exported to, one subfolder per definition (docs/outputs.md)."""

    path: str = Field(description="The output folder (JOURNEYS_OUT, else journeys_out/ here)")

    @classmethod
    def from_environment(cls) -> "OutputFolder":
        return cls(path=str(Path(os.environ.get("JOURNEYS_OUT") or DEFAULT_OUT).resolve()))
