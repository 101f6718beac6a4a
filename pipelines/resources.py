"""What the nightly job reads and writes: the DuckDB database, the landing folder, the journey
definitions and the folder the mined journeys are exported to."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from journey_mining import db, definition, identity, ingest, mining, run
from journey_mining.definition import Definition, DefinitionError
from journey_mining.process_model import ModelConformance

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
# The sample exports and journey definitions bundled with the repository; a real deployment points
# JOURNEYS_LANDING and JOURNEYS_DEFINITIONS elsewhere.
BUNDLED_LANDING = SAMPLES / "landing"
BUNDLED_DEFINITIONS = SAMPLES / "definitions"
DEFAULT_OUT = "journeys_out"
DEFINITION_SUFFIXES = (".yaml", ".yml")


class JourneysDatabase(ConfigurableResource):
    """Where the events, quarantine, ingested files, persons and mined tables are, and the engine that works on
    them: the DuckDB database (the default), or with the spark engine a warehouse of Parquet tables
    (docs/spark.md), the same figures either way.

    DuckDB connections go through journey_mining.db.connect, so a run waits for another process's lock,
    works in UTC and finds the schema in place, exactly as the `journeys` command line does.
    dagster-duckdb's DuckDBResource is not used: it opens DuckDB directly, without any of that.
    """

    path: str = Field(description="The database file, or the spark engine's warehouse (JOURNEYS_DB, else "
                                  "journeys.duckdb here)")
    engine: Literal["duckdb", "spark"] = Field(default="duckdb", description="The engine (JOURNEYS_ENGINE)")
    spark_conf: dict[str, str] = Field(default_factory=dict, description="Spark settings (spark.*) of the spark "
                                       "engine; its master is JOURNEYS_SPARK_MASTER, else local[*]")

    @classmethod
    def from_environment(cls) -> "JourneysDatabase":
        return cls(path=str(db.database_path().resolve()), engine=os.environ.get("JOURNEYS_ENGINE") or "duckdb")

    @contextmanager
    def connection(self, *, read_only: bool = False,
                   lock_timeout_s: float = db.LOCK_TIMEOUT_S) -> Iterator[duckdb.DuckDBPyConnection]:
        con = db.connect(self.path, read_only=read_only, lock_timeout_s=lock_timeout_s)
        try:
            yield con
        finally:
            con.close()

    def warehouse(self):
        """The spark engine's warehouse, its loaded events, identities and persons read."""
        from journey_mining import spark

        warehouse = spark.Warehouse(spark.session(self.spark_conf), self.path)
        for table in ("events", "identities", "persons"):
            warehouse.show(table)
        return warehouse

    def ingest(self, folders: dict[str, Path], *, tz: str, progress) -> list[ingest.FileCounts]:
        """Each source's folder loaded (ingest.ingest, or the spark engine's), the database made when missing."""
        if self.engine == "spark":
            from journey_mining import spark

            warehouse = self.warehouse()
            return [counts for source, folder in folders.items()
                    for counts in spark.ingest_files(warehouse, source, [folder], tz=tz, progress=progress)]
        with self.connection() as con:
            return [counts for source, folder in folders.items()
                    for counts in ingest.ingest(con, source, [folder], tz=tz, progress=progress)]

    def build_persons(self, *, max_ids_per_person: int, full: bool) -> identity.IdentityReport:
        """Persons brought up to date with the loaded events (on Spark: built anew, whatever `full` says)."""
        if self.engine == "spark":
            from journey_mining import spark

            return spark.build_persons(self.warehouse(), spark.hash_key(), max_ids_per_person=max_ids_per_person)
        with self.connection() as con:
            return identity.build_persons(con, max_ids_per_person=max_ids_per_person, full=full)

    @contextmanager
    def mined(self, definition: Definition) -> Iterator[duckdb.DuckDBPyConnection]:
        """Mine `definition` (mining.mine, or the spark engine's full run), then read its tables."""
        if self.engine == "spark":
            from journey_mining import spark

            warehouse = self.warehouse()
            spark.mine(warehouse, definition)
            with spark.mirrored(warehouse, definition) as con:
                spark.sum_alerts(warehouse, con, definition)
                yield con
            return
        with self.connection() as con:
            mining.mine(con, definition)
            yield con

    @contextmanager
    def conformed(self, definition: Definition) -> Iterator[tuple[ModelConformance, duckdb.DuckDBPyConnection]]:
        """Fitness and precision of `definition`'s mined journeys recorded (run.conform), then its tables read."""
        if self.engine == "spark":
            from journey_mining import spark

            warehouse = self.warehouse()
            with spark.mirrored(warehouse, definition) as con:
                yield spark.conform(warehouse, con, definition), con
            return
        with self.connection() as con:
            yield run.conform(con, definition), con

    @contextmanager
    def mined_tables(self, definition: Definition) -> Iterator[duckdb.DuckDBPyConnection]:
        """`definition`'s mined tables to read: the database, or a copy of the warehouse's in this process."""
        if self.engine == "spark":
            from journey_mining import spark

            with spark.mirrored(self.warehouse(), definition) as con:
                yield con
            return
        with self.connection(read_only=True) as con:
            yield con

    @contextmanager
    def loaded_tables(self, *, lock_timeout_s: float = db.LOCK_TIMEOUT_S):
        """The loaded events, quarantine and ingested files to read, as a DuckDB connection or, with the spark
        engine, the warehouse read through Spark (spark.Cursor: a query in DuckDB's dialect, translated)."""
        if self.engine == "spark":
            from journey_mining import spark

            warehouse = self.warehouse()
            for table in ("ingested_files", "quarantine"):
                warehouse.show(table)
            yield spark.Cursor(warehouse)
            return
        with self.connection(read_only=True, lock_timeout_s=lock_timeout_s) as con:
            yield con

    def ingested_paths(self, *, lock_timeout_s: float) -> set[str]:
        """The paths of every file loaded so far (none before the database exists)."""
        if self.engine == "duckdb" and not Path(self.path).is_file():
            return set()
        with self.loaded_tables(lock_timeout_s=lock_timeout_s) as con:
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
