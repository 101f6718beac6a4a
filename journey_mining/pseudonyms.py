"""Keyed hashing that pseudonymises emails and person ids: stable for one key, not reversible."""

import hashlib
import hmac
import os
import re
import secrets

import duckdb
import pyarrow as pa

from journey_mining import sql
from journey_mining.errors import JourneyError

KEY_SETTING = "pseudonymisation_key"
HMAC_BLOCK = 64  # SHA-256's block size in bytes
EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")  # \w: letters of any script, as in IDN addresses


def pseudonymisation_key(con: duckdb.DuckDBPyConnection) -> bytes:
    """JOURNEYS_HASH_KEY when set; else a random key the database creates once and keeps.

    Keeping the key in the database keeps person ids stable across runs with no set-up; setting
    JOURNEYS_HASH_KEY keeps it away from the data, which production deployments should prefer.
    """
    if key := os.environ.get("JOURNEYS_HASH_KEY"):
        return key.encode("utf-8")
    con.execute("insert or ignore into settings values (?, ?)", [KEY_SETTING, secrets.token_hex(32)]).fetchall()
    (stored,) = sql.one(con, "select value from settings where name = ?", [KEY_SETTING])
    return stored.encode("utf-8")


def keyed_hash(key: bytes, text: str) -> str:
    """HMAC-SHA-256 of the text, as 32 hex digits (128 bits: no collisions at any realistic size)."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def redact_emails(key: bytes, text: str) -> str:
    """The text with every email address replaced by `email:` and the hash events store for it."""
    return EMAIL.sub(lambda found: "email:" + keyed_hash(key, found.group().strip().lower()), text)


def register(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Make `keyed_hash(text)` and `redact_emails(text)` callable from SQL on this connection.

    keyed_hash runs on every event and identifier, so it is a SQL macro: HMAC-SHA-256 is two SHA-256
    over the key's pads (RFC 2104), which DuckDB computes natively; a probe checks it against the
    Python function. redact_emails is a Python regex, for the few rows of quarantined raw text.
    """
    block = (hashlib.sha256(key).digest() if len(key) > HMAC_BLOCK else key).ljust(HMAC_BLOCK, b"\0")
    sql.run(con, "stg_keyed_hash_pads", {"inner": bytes(b ^ 0x36 for b in block),
                                         "outer": bytes(b ^ 0x5C for b in block)})
    sql.run(con, "stg_keyed_hash_macro")
    probe = "Probe.Ünïcode@example.com"
    if sql.one(con, "select keyed_hash(?)", [probe]) != (keyed_hash(key, probe),):
        raise JourneyError("internal error: SQL keyed_hash differs from pseudonyms.keyed_hash")
    sql.register_function(con, "redact_emails", _redacted_column(key), ["VARCHAR"], "VARCHAR")


def _redacted_column(key: bytes):
    def apply(values: pa.Array) -> pa.Array:
        return pa.array([None if text is None else redact_emails(key, text) for text in values.to_pylist()],
                        pa.string())

    return apply
