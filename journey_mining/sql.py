"""The one loader for SQL: statements live in `sql/` as files, values are always bound parameters.

A statement is named by its path below `sql/` without `.sql`: "journeys/journeys" is
sql/journeys/journeys.sql. Each file holds one statement and opens with a header comment that says what
it makes (the grain) and declares what it takes, each declaration a line of its own:

    -- parameters: definition, mining_pass     the `$name`s it binds (no line: none)
    -- fragments: scope, touchpoint            the `{{marker}}`s run_template fills (no line: none)

When a file is first read (`load`), the declarations must equal the `$name`s and `{{marker}}`s of its
body, comments, quoted names and string literals such as '$.score_kind' aside. At every call the values
given must be exactly the declared ones (a fragment's own `$name`s count as declared). Either mismatch
raises an error naming the file and the names ("sql/journeys/journeys.sql: missing parameter
$definition; unexpected $since"), so the file alone tells what it takes, and no caller forgets a value
or passes one the statement ignores.

The layout (tests/test_sql_layout.py checks it):

    sql/<folder>/            a folder per thing built: ingest, privacy, identity, journeys, funnels,
                             conformance, exports, checks
        order.txt            the folder's steps in run order, under [phase] headings
        <table>.sql          fills the folder's table <table> (insert into <table> …)
        tables/<table>.sql   creates it (create table if not exists <table> …)
        scratch/<name>.sql   makes (or fills) a work table, view or variable of one run
        macros/<macro>.sql   create or replace temp macro <macro>
        <what it does>.sql   makes nothing: a delete, or a query whose rows Python reads

order.txt names statements relative to its folder, one a line, `#` starting a comment; a heading
`[phase]` starts each part of a run that Python starts on its own (the tables, once per mining pass,
over everyone, an incremental branch …), and a folder with no headings is one list.

    run(con, name, params)                    execute; its rows
    arrow / relation / batches(con, name, …)  a query's rows as Arrow, a lazy relation, a batch stream
    groups(con, name, …)                      a query's rows ordered by its column grp, a group at a time
    run_template(con, name, fragments, …)     with {{markers}} replaced (structure only, never values)
    steps(folder, phase)                      the statement names of a phase, in order
    tables(folder, phase)                     what they fill: the last part of each name
    run_steps(con, folder, values, phase)     run a phase's steps in order, each with exactly the values
                                              it declares picked from `values`; a value a step needs
                                              that `values` lacks is an error, and so is one no step
                                              of the phase declares

Python keeps the control flow only: which phase runs, how often, in which transaction.
"""

import glob
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_PACKAGED = Path(__file__).resolve().parent / "sql"  # inside an installed wheel
_REPOSITORY = Path(__file__).resolve().parent.parent / "sql"  # in a checkout / editable install
SQL_DIR = _PACKAGED if _PACKAGED.is_dir() else _REPOSITORY
GIVEN_BACK_TO = "128MiB"  # DuckDB's memory limit for the moment it gives its buffers back (give_back_memory)

# What is not SQL to scan for `$name`s and `{{marker}}`s: string literals ('' escapes a quote),
# quoted identifiers, line and block comments. Matching leftmost first reads them as DuckDB's lexer does.
_NOT_SCANNED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_MARKER = re.compile(r"\{\{(\w+)\}\}")
_DECLARATION = re.compile(r"--\s*(parameters|fragments):(.*)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PHASE = re.compile(r"\[(\w+)\]")


@dataclass(frozen=True)
class Statement:
    """One SQL file: its text and what its header declares."""

    name: str  # path below sql/ without .sql
    text: str
    parameters: frozenset[str]
    fragments: frozenset[str]

    @property
    def where(self) -> str:
        """How errors name the file."""
        return f"sql/{self.name}.sql"

    def check_call(self, params: dict, fragments: dict | None = None) -> None:
        """Refuse values other than the declared ones (fragments' own bound `$name`s count as declared)."""
        _check_names(self.where, "parameter", "$", set(self.parameters) | _fragment_parameters(fragments),
                     set(params))
        _check_names(self.where, "fragment", "", set(self.fragments), set(fragments or {}))


@cache
def load(name: str) -> Statement:
    """The statement `sql/<name>.sql`, its declarations checked against its body."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    declared = _declarations(f"sql/{name}.sql", text)
    body = _NOT_SCANNED.sub(" ", text)
    for kind, sign, used in (("parameters", "$", _PARAMETER.findall(body)), ("fragments", "", _MARKER.findall(body))):
        unused, undeclared = declared[kind] - set(used), set(used) - declared[kind]
        problems = [f"declares {_listed(sign, unused)} but does not use it"] if unused else []
        if undeclared:
            problems.append(f"uses {_listed(sign, undeclared)} without declaring it in its `-- {kind}:` line")
        if problems:
            raise ValueError(f"sql/{name}.sql: {'; '.join(problems)}")
    return Statement(name, text, declared["parameters"], declared["fragments"])


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[tuple]:
    """Execute `sql/<name>.sql` with its declared parameters (`$name` in the file); its rows, if any."""
    params = params or {}
    loaded = load(name)
    loaded.check_call(params)
    return con.execute(loaded.text, params).fetchall()


def relation(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, *,
             fragments: dict[str, str] | None = None) -> duckdb.DuckDBPyRelation:
    """`sql/<name>.sql` (a query) as a DuckDB relation: read lazily, e.g. only its first rows. `fragments` fill
    its `{{markers}}` as in `run_template`."""
    params = params or {}
    loaded = load(name)
    loaded.check_call(params, fragments)
    return con.sql(_filled(loaded, fragments or {}), params=params)


def arrow(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, *,
          fragments: dict[str, str] | None = None):
    """The rows of `sql/<name>.sql` as an Arrow table."""
    return relation(con, name, params, fragments=fragments).to_arrow_table()


def batches(con: duckdb.DuckDBPyConnection, name: str, params: dict, rows: int):
    """The rows of `sql/<name>.sql` as a stream of Arrow record batches of up to `rows` rows: for results
    larger than memory."""
    return relation(con, name, params).to_arrow_reader(rows)


def groups(con: duckdb.DuckDBPyConnection, name: str, params: dict, *, fragments: dict[str, str] | None = None,
           rows: int = 1_000_000) -> Iterator[tuple[object, pa.Table]]:
    """The rows of `sql/<name>.sql`, a query ordered by its column `grp`, one group at a time: (its grp, its
    rows). Only one group is in memory, however many rows the query has, and DuckDB gives its buffers back
    before each is handed on (the query's sorted rows not read yet wait on disk while Python works)."""
    group, parts = None, []
    for batch in relation(con, name, params, fragments=fragments).to_arrow_reader(rows):
        if not len(batch):
            continue
        grp = batch.column("grp")
        starts = np.r_[0, np.flatnonzero(pc.not_equal(grp[1:], grp[:-1]).to_numpy(zero_copy_only=False)) + 1]
        for first, last in zip(starts, np.r_[starts[1:], len(batch)]):
            if parts and grp[first].as_py() != group:
                give_back_memory(con)
                yield group, pa.Table.from_batches(parts)
                parts = []
            group = grp[first].as_py()
            parts.append(batch.slice(first, last - first))
    if parts:
        give_back_memory(con)
        yield group, pa.Table.from_batches(parts)


def run_template(con: duckdb.DuckDBPyConnection, name: str, fragments: dict[str, str],
                 params: dict | None = None) -> list[tuple]:
    """Like `run`, with the declared `{{key}}` markers replaced by SQL fragments.

    Fragments carry structure only (identifiers from a fixed allowlist, predicates whose values are
    bound parameters); a value never goes into a fragment. The `$name`s a fragment binds are given in
    `params` with the statement's own.
    """
    params = params or {}
    loaded = load(name)
    loaded.check_call(params, fragments)
    return con.execute(_filled(loaded, fragments), params).fetchall()


def _filled(loaded: Statement, fragments: dict[str, str]) -> str:
    text = loaded.text
    for key, fragment in fragments.items():
        text = text.replace("{{" + key + "}}", fragment)
    return text


@cache
def steps(folder: str, phase: str | None = None) -> tuple[str, ...]:
    """The statement names of `sql/<folder>/order.txt` under the heading `[phase]`, in order (`phase` None:
    a file without headings)."""
    path = SQL_DIR / folder / "order.txt"
    phases: dict[str | None, list[str]] = {None: []}
    current = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if heading := _PHASE.fullmatch(entry):
            current = heading.group(1)
            if current in phases:
                raise ValueError(f"sql/{folder}/order.txt:{number}: phase [{current}] given twice")
            phases[current] = []
        elif (SQL_DIR / folder / f"{entry}.sql").is_file():
            phases[current].append(f"{folder}/{entry}")
        else:
            raise ValueError(f"sql/{folder}/order.txt:{number}: no such statement sql/{folder}/{entry}.sql")
    if len(phases) > 1 and phases[None]:
        raise ValueError(f"sql/{folder}/order.txt: steps before the first [phase] heading")
    if phase not in phases or (phase is None and len(phases) > 1):
        named = ", ".join(f"[{p}]" for p in phases if p is not None)
        raise ValueError(f"sql/{folder}/order.txt: no phase [{phase}] (it has: {named or 'no headings'})")
    return tuple(phases[phase])


def run_steps(con: duckdb.DuckDBPyConnection, folder: str, values: dict, phase: str | None = None, *,
              fragments: dict[str, str] | None = None) -> None:
    """Run the steps of `steps(folder, phase)` in order, each with exactly the values (and fragments) it
    declares, taken from `values` (and `fragments`); every value must serve some step of the phase."""
    loaded = [load(name) for name in steps(folder, phase)]
    fragments = fragments or {}
    where = f"sql/{folder}/order.txt [{phase}]" if phase else f"sql/{folder}/order.txt"
    _check_names(where, "parameter", "$", set().union(*(step.parameters for step in loaded))
                 | _fragment_parameters(fragments), set(values))
    _check_names(where, "fragment", "", set().union(*(step.fragments for step in loaded)), set(fragments))
    for step in loaded:
        if step.fragments:
            chosen = {key: fragments[key] for key in step.fragments}
            run_template(con, step.name, chosen,
                         {key: values[key] for key in step.parameters | _fragment_parameters(chosen)})
        else:
            run(con, step.name, {key: values[key] for key in step.parameters})


def tables(folder: str, phase: str | None = None) -> tuple[str, ...]:
    """The tables the steps of `steps(folder, phase)` make, fill or read out: by the layout, the last part of
    each step's name."""
    return tuple(step.rsplit("/", 1)[-1] for step in steps(folder, phase))


def statements_of(folder: str = "") -> list[str]:
    """Every statement name below `sql/<folder>`, sorted."""
    root = SQL_DIR / folder
    return sorted(path.relative_to(SQL_DIR).with_suffix("").as_posix() for path in root.rglob("*.sql"))


def one(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple | None:
    """The first row of a small look-up (bound parameters), or None; the result is consumed."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0] if rows else None


@contextmanager
def handed_over(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]):
    """The Arrow `tables` (made in Python) as temporary views of DuckDB, by name, for the `with` block: each
    written as a Parquet file in a folder beside the database and read from there, the folder removed
    afterwards.

    Not the Arrow tables themselves registered, nor temporary tables: a view or table dropped inside an open
    transaction is kept until the transaction ends (for a rollback), and with it the rows, so a mining run's
    passes held every pass's rows in memory (registered: about 0.8 GiB a pass at 100M events) or in spill
    files (temporary tables: 13 GB at 100M). A view of a file keeps only its path. After an error the views
    are left to the rollback, or to the connection's end: dropping them in a failed transaction would raise
    an error of its own in place of the one to report.
    """
    folder = _work_folder(con)
    try:
        for name, rows in tables.items():
            path = folder / f"{name}.parquet"
            try:
                pq.write_table(rows, path, compression="none")
            except OSError as error:  # a full disk: the command line says so, naming the file (Arrow names none)
                raise OSError(error.errno, error.strerror, str(path)) from error
            con.register(name, con.read_parquet(str(path)))  # a view of the file's relation: no rows held
        yield
        for name in tables:
            con.unregister(name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _work_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """A new folder beside the database file (the disk its user chose for it), else (a database in memory, a
    folder not writable) in the system's temporary folder."""
    (path,) = one(con, "select path from duckdb_databases() where database_name = current_database()")
    if path:
        try:
            return _new_folder(Path(path).parent, f"{Path(path).name}.handed-over-")
        except OSError:
            pass
    return _new_folder(Path(tempfile.gettempdir()), "journeys.handed-over-")


def _new_folder(place: Path, prefix: str) -> Path:
    """A new folder in `place` named `prefix`, the process's id and a unique part; first the folders of that
    prefix whose process has ended (killed during a hand-over) are removed."""
    for left in place.glob(f"{glob.escape(prefix)}*-*"):
        pid = left.name[len(prefix):].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=place, prefix=f"{prefix}{os.getpid()}-"))


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


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


def _declarations(where: str, text: str) -> dict[str, frozenset[str]]:
    """The `-- parameters:` and `-- fragments:` lines of the header (the comment lines the file opens with)."""
    found: dict[str, frozenset[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("--"):
            break
        if declaration := _DECLARATION.fullmatch(line):
            kind, listed = declaration.group(1), [n.strip() for n in declaration.group(2).split(",") if n.strip()]
            if kind in found:
                raise ValueError(f"{where}: two `-- {kind}:` lines")
            if bad := [n for n in listed if not _NAME.fullmatch(n)]:
                raise ValueError(f"{where}: `-- {kind}:` lists {', '.join(bad)}: names only, comma-separated")
            found[kind] = frozenset(listed)
    return {"parameters": found.get("parameters", frozenset()), "fragments": found.get("fragments", frozenset())}


def _fragment_parameters(fragments: dict[str, str] | None) -> set[str]:
    """The `$name`s the fragments bind."""
    return {name for fragment in (fragments or {}).values()
            for name in _PARAMETER.findall(_NOT_SCANNED.sub(" ", fragment))}


def _check_names(where: str, kind: str, sign: str, declared: set[str], given: set[str]) -> None:
    missing, unexpected = declared - given, given - declared
    problems = [f"missing {kind}{'s' if len(missing) > 1 else ''} {_listed(sign, missing)}"] if missing else []
    problems += [f"unexpected {'' if sign else kind + ' '}{_listed(sign, unexpected)}"] if unexpected else []
    if problems:
        raise TypeError(f"{where}: {'; '.join(problems)}")


def _listed(sign: str, names) -> str:
    return ", ".join(sign + name for name in sorted(names))


def memory_limit() -> str:
    """DuckDB's memory limit: JOURNEYS_MEMORY_LIMIT, else a quarter of the machine's physical memory."""
    return os.environ.get("JOURNEYS_MEMORY_LIMIT") or f"{default_memory_limit_mib()}MiB"


def default_memory_limit_mib() -> int:
    """A quarter of the machine's physical memory, in MiB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4 // 2**20


def give_back_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Make DuckDB hand the buffers it keeps (up to its limit) back to the machine before work done in Python,
    whose arrays would otherwise come on top of them: its limit lowered for a moment, it lets go of what is
    on disk already and spills what it must keep. The limit is the database's: a cursor of `con` asks, so
    that `con` may be reading a query's rows meanwhile and its transaction never sees an error."""
    with con.cursor() as beside:
        try:
            beside.execute("set memory_limit = ?", [GIVEN_BACK_TO]).fetchall()
        except duckdb.OutOfMemoryException:
            pass  # the blocks of a query being read are held: DuckDB gave back all the others before it said so
        beside.execute("set memory_limit = ?", [memory_limit()]).fetchall()
