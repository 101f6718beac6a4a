"""The one loader for SQL: statements live in `sql/` as files, values are always bound parameters."""

from functools import cache
from pathlib import Path

import duckdb

_PACKAGED = Path(__file__).resolve().parent / "sql"  # inside an installed wheel
_REPOSITORY = Path(__file__).resolve().parent.parent / "sql"  # in a checkout / editable install
SQL_DIR = _PACKAGED if _PACKAGED.is_dir() else _REPOSITORY


@cache
def statement(name: str) -> str:
    """The text of `sql/<name>.sql`."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[tuple]:
    """Execute `sql/<name>.sql` with named parameters (`$name` in the file); its rows, if any."""
    return con.execute(statement(name), params or {}).fetchall()


def arrow(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None):
    """The rows of `sql/<name>.sql` as an Arrow table."""
    return con.sql(statement(name), params=params or {}).to_arrow_table()


def batches(con: duckdb.DuckDBPyConnection, name: str, params: dict, rows: int):
    """The rows of `sql/<name>.sql` as a stream of Arrow record batches of up to `rows` rows: for results
    larger than memory."""
    return con.sql(statement(name), params=params).to_arrow_reader(rows)


def one(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple | None:
    """The first row of a small look-up (bound parameters), or None; the result is consumed."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


def register_function(con: duckdb.DuckDBPyConnection, name: str, function, parameters: list[str],
                      returns: str, *, nulls_in: bool = False) -> None:
    """Make a vectorised Python function (Arrow arrays in and out) callable from SQL on `con`.

    With `nulls_in` the function sees nulls itself; otherwise a null argument gives a null result.
    """
    try:
        con.remove_function(name)
    except duckdb.InvalidInputException:
        pass  # not registered on this connection yet
    con.create_function(
        name, function, [duckdb.sqltype(p) for p in parameters], duckdb.sqltype(returns), type="arrow",
        null_handling="special" if nulls_in else "default")


def run_template(con: duckdb.DuckDBPyConnection, name: str, fragments: dict[str, str],
                 params: dict | None = None) -> list[tuple]:
    """Like `run`, with `{{key}}` markers replaced by SQL fragments.

    Fragments carry structure only (identifiers from a fixed allowlist, predicates whose values are
    bound parameters); a value never goes into a fragment.
    """
    text = statement(name)
    for key, fragment in fragments.items():
        marker = "{{" + key + "}}"
        if marker not in text:
            raise ValueError(f"sql/{name}.sql has no {marker}")
        text = text.replace(marker, fragment)
    return con.execute(text, params or {}).fetchall()
