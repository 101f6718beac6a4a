"""Keyed hashing that pseudonymises emails and person ids: stable for one key, not reversible."""

import hashlib
import hmac
import os
import secrets

import duckdb

from journey_mining import sql
from journey_mining.errors import JourneyError

KEY_SETTING = "pseudonymisation_key"
HMAC_BLOCK = 64  # SHA-256's block size in bytes


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


def register(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Make `keyed_hash(text)` and `redacted(text)` callable from SQL on this connection.

    Both run on every event, so they are SQL macros: HMAC-SHA-256 is two SHA-256 over the key's pads
    (RFC 2104), which DuckDB computes natively, and a probe checks it against the Python function;
    redacted() replaces every e-mail address in a text by `email:` and its keyed hash, with the one
    definition of an address (sql/privacy/macros/email_address_pattern.sql).
    """
    block = (hashlib.sha256(key).digest() if len(key) > HMAC_BLOCK else key).ljust(HMAC_BLOCK, b"\0")
    sql.run_steps(con, "privacy", {"inner": bytes(b ^ 0x36 for b in block), "outer": bytes(b ^ 0x5C for b in block)},
                  phase="keyed_hash")
    probe = "Probe.Ünïcode@example.com"
    if sql.one(con, "select keyed_hash(?)", [probe]) != (keyed_hash(key, probe),):
        raise JourneyError("internal error: SQL keyed_hash differs from pseudonyms.keyed_hash")
    sql.run_steps(con, "privacy", {}, phase="redacted")
