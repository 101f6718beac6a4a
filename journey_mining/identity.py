"""Identity: who is one person. Identifiers seen on one row are linked; a person is a component.

Components are found in SQL by label propagation with pointer jumping, so identity scales with the
events table rather than with Python's memory (networkx serves as the independent reference in tests).
"""

from dataclasses import dataclass

import duckdb

from journey_mining import pseudonyms, sql

MAX_IDS_PER_PERSON = 50
REBUILT_TABLES = ("identities", "oversize_components", "persons")  # in this order: persons reads identities


@dataclass(frozen=True)
class IdentityReport:
    """What one rebuild of persons found."""

    persons: int
    identifiers: int
    oversize_components: list[int]  # identifiers per component kept apart, largest first
    rounds: int  # label-propagation rounds until every component settled


def build_persons(con: duckdb.DuckDBPyConnection, *, max_ids_per_person: int = MAX_IDS_PER_PERSON) -> IdentityReport:
    """Rebuild identities, persons and oversize_components from all loaded events, in one transaction."""
    pseudonyms.register(con, pseudonyms.pseudonymisation_key(con))  # outside: a rollback would drop it
    con.begin()
    try:
        sql.run(con, "int_identity_nodes")
        sql.run(con, "int_identity_links")
        con.execute("create or replace temp table identity_labels as select node, node as label "
                    "from identity_nodes").fetchall()
        rounds = _settle_labels(con)
        sql.run(con, "int_identity_assignments", {"max_ids": max_ids_per_person})
        for table in REBUILT_TABLES:
            sql.run_template(con, "drop_rebuilt_table", {"table": table})
            sql.run(con, "schema_" + table)
            sql.run(con, table)
        report = IdentityReport(
            persons=sql.one(con, "select count(*) from persons")[0],
            identifiers=sql.one(con, "select count(*) from identities")[0],
            oversize_components=[n for (n,) in con.execute(
                "select identifiers from oversize_components order by identifiers desc").fetchall()],
            rounds=rounds,
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return report


def _settle_labels(con: duckdb.DuckDBPyConnection) -> int:
    """Propagate labels until no identifier's label changes; the number of rounds it took."""
    rounds = 0
    while True:
        rounds += 1
        sql.run(con, "int_identity_labels_step")
        (changed,) = sql.one(con, "select count(*) from identity_labels_next as n "
                                  "join identity_labels as l using (node) where n.label <> l.label")
        con.execute("create or replace temp table identity_labels as select * from identity_labels_next").fetchall()
        if changed == 0:
            return rounds
