"""Identity: who is one person. Identifiers seen on one row are linked; a person is a component.

Components are found in SQL by label propagation with pointer jumping, so identity scales with the
events table rather than with Python's memory (networkx serves as the independent reference in tests).

A build is incremental when it can be: only the rows of files loaded since the last build are linked,
together with the stored components they touch (each as a star around its least identifier, which
connects it as its rows did); every other component, person and identifier stays as it is. Since a
component only grows as rows arrive, this gives what a full rebuild gives (tests/test_identity.py).
"""

from dataclasses import dataclass

import duckdb

from journey_mining import db, pseudonyms, sql

MAX_IDS_PER_PERSON = 50
# Made anew by a full rebuild, in this order (the [rebuilt] phase of sql/identity/order.txt)
REBUILT_TABLES = sql.tables("identity", "rebuilt")
KEY_CHECK_TEXT = "identity_state"  # hashed with the pseudonymisation key: a new key means a full rebuild


@dataclass(frozen=True)
class IdentityReport:
    """What one build of persons found."""

    persons: int
    identifiers: int
    oversize_components: list[int]  # identifiers per component kept apart, largest first
    rounds: int  # label-propagation rounds until every component settled
    relinked: int | None = None  # identifiers an incremental build linked anew; None after a full rebuild


def build_persons(con: duckdb.DuckDBPyConnection, *, max_ids_per_person: int = MAX_IDS_PER_PERSON,
                  full: bool = False) -> IdentityReport:
    """Bring identities, persons and oversize_components up to date with all loaded events, in one transaction.

    Incremental unless `full`, or unless the stored build used another oversize limit or key.
    """
    pseudonyms.register(con, pseudonyms.pseudonymisation_key(con))  # outside: a rollback would drop it
    con.begin()
    try:
        (last_file_id,) = sql.one(con, "select coalesce(max(file_id), 0) from ingested_files")
        after_file_id = None if full else _built_up_to(con, max_ids_per_person)
        sql.run_steps(con, "identity", {"after_file_id": after_file_id or 0}, phase="rows")
        if after_file_id is not None:
            sql.run_steps(con, "identity", {}, phase="touched")
        sql.run_steps(con, "identity", {}, phase="links")
        con.execute("create or replace temp table identity_labels as select node, node as label "
                    "from identity_nodes").fetchall()
        rounds = _settle_labels(con)
        sql.run_steps(con, "identity", {"max_ids": max_ids_per_person}, phase="assign")
        if after_file_id is None:
            for table in REBUILT_TABLES:  # cheaper than deleting every row, whose commit rewrites the table
                sql.run_template(con, "identity/drop_rebuilt_table", {"table": table})
                sql.run(con, f"identity/tables/{table}")
        else:
            sql.run(con, "identity/forget_rebuilt")
        sql.run_steps(con, "identity", {}, phase="rebuilt")
        con.execute("delete from identity_state").fetchall()
        con.execute("insert into identity_state values (?, ?, keyed_hash(?), now())",
                    [last_file_id, max_ids_per_person, KEY_CHECK_TEXT]).fetchall()
        report = IdentityReport(
            persons=sql.one(con, "select count(*) from persons")[0],
            identifiers=sql.one(con, "select count(*) from identities")[0],
            oversize_components=[n for (n,) in con.execute(
                "select identifiers from oversize_components order by identifiers desc").fetchall()],
            rounds=rounds,
            relinked=None if after_file_id is None else sql.one(con, "select count(*) from identity_nodes")[0],
        )
        con.commit()
    except BaseException:
        db.rollback(con)
        raise
    return report


def persons_up_to_date(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether persons were built from every loaded file.

    Ingest commits the events, then builds persons: a run stopped in between leaves events with no
    persons (or persons of the files before), which `journeys ingest` repairs when it runs again.
    """
    (last_file_id,) = sql.one(con, "select coalesce(max(file_id), 0) from ingested_files")
    built = sql.one(con, "select last_file_id from identity_state")
    return (built[0] if built else 0) >= last_file_id


def _built_up_to(con: duckdb.DuckDBPyConnection, max_ids_per_person: int) -> int | None:
    """The last file the stored build linked, when a build can add to it; None when it must start afresh."""
    state = sql.one(con, "select last_file_id, max_ids_per_person = ? and key_check = keyed_hash(?) "
                         "from identity_state", [max_ids_per_person, KEY_CHECK_TEXT])
    if state is None or not state[1]:
        return None
    return state[0]


def _settle_labels(con: duckdb.DuckDBPyConnection) -> int:
    """Propagate labels until no identifier's label changes; the number of rounds it took."""
    rounds = 0
    while True:
        rounds += 1
        sql.run_steps(con, "identity", {}, phase="settle")
        (changed,) = sql.one(con, "select count(*) from identity_labels_next where moved")
        con.execute("drop table identity_labels").fetchall()
        con.execute("alter table identity_labels_next rename to identity_labels").fetchall()
        if changed == 0:
            return rounds
