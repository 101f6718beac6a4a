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
