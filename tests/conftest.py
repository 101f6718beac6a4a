"""Shared fixtures: a database in a temporary folder, a known pseudonymisation key, a landing folder writer."""

import csv
import gzip
import hashlib
import hmac
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from journey_mining import db, ingest

HASH_KEY = "test-pseudonymisation-key"

# A fixed ingest time, so "far future" does not depend on the day the suite runs.
NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def expected_hash(text: str) -> str:
    """The keyed hash SPEC section 1 and 2 describe, computed here without the library."""
    return hmac.new(HASH_KEY.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@pytest.fixture(autouse=True)
def hash_key(monkeypatch) -> str:
    """Every test (and every subprocess it starts) hashes with the same known key and no stray database."""
    monkeypatch.setenv("JOURNEYS_HASH_KEY", HASH_KEY)
    monkeypatch.delenv("JOURNEYS_DB", raising=False)
    monkeypatch.delenv("JOURNEYS_LOCK_TIMEOUT", raising=False)
    return HASH_KEY


@pytest.fixture
def email_hash():
    """email_hash of an address as stored: trimmed, lower-cased, then the keyed hash."""
    return lambda address: expected_hash(address.strip().lower())


@pytest.fixture
def person_id():
    """person_id of a component whose first identifier is (kind, value)."""
    return lambda kind, value: expected_hash(f"{kind}:{value}")


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "journeys.duckdb"


@pytest.fixture
def con(db_path):
    connection = db.connect(db_path)
    yield connection
    connection.close()


class Landing:
    """Writes small input files into a landing folder, exactly as the test spells them."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, name: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def raw(self, name: str, content: bytes | str) -> Path:
        """A file with exactly these bytes (text is written as UTF-8); `.gz` names are compressed."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = self._path(name)
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    def jsonl(self, name: str, rows: list) -> Path:
        """One line per row: a dict is written as JSON, a str or bytes as it is (blank lines, junk)."""
        lines = []
        for row in rows:
            if isinstance(row, dict):
                lines.append(json.dumps(row).encode("utf-8"))
            elif isinstance(row, str):
                lines.append(row.encode("utf-8"))
            else:
                lines.append(row)
        return self.raw(name, b"\n".join(lines) + b"\n")

    def csv(self, name: str, header: list[str], rows: list[list[str]]) -> Path:
        """An RFC 4180 file: the header, then the rows, quoted where needed."""
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        return self.raw(name, text.getvalue())

    def parquet(self, name: str, table: pa.Table | dict) -> Path:
        path = self._path(name)
        pq.write_table(table if isinstance(table, pa.Table) else pa.table(table), path)
        return path


@pytest.fixture
def landing(tmp_path) -> Landing:
    return Landing(tmp_path / "landing")


PRODUCT_TABLES = ("events", "quarantine", "ingested_files", "identities", "persons", "oversize_components")


def table_snapshot(con) -> dict[str, list[tuple]]:
    """Every row of every table the product writes, to compare a database before and after a run."""
    return {table: sorted(con.execute(f"select * from {table}").fetchall(), key=repr) for table in PRODUCT_TABLES}


@pytest.fixture
def snapshot():
    return table_snapshot


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def load(con):
    """ingest() on the test database at the fixed NOW; other options as the test gives them."""
    def load(source: str, *paths, **options):
        options.setdefault("now", NOW)
        return ingest.ingest(con, source, [str(path) for path in paths], **options)

    return load


@pytest.fixture
def query(con):
    """All rows of a query on the test database (results are always consumed)."""
    return lambda text, params=None: con.execute(text, params or []).fetchall()
