"""The layout of sql/ (journey_mining/sql.py says it): every file declares the parameters and fragments it
uses and is named after what it makes, every file is run by an order.txt or named in the code, and the
loader refuses a call with a value missing or one the file does not declare."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from journey_mining import db, mining, sql

REPOSITORY = Path(__file__).resolve().parent.parent
STATEMENTS = sql.statements_of()
FOLDERS = sorted(path.parent.name for path in sql.SQL_DIR.glob("*/order.txt"))
# What a file makes, read from its text independently of the loader.
MAKES = re.compile(r"^(?:create\s+(?:or\s+replace\s+)?(?:temp\s+)?(?:table|view|macro)\s+(?:if\s+not\s+exists\s+)?"
                   r"|set\s+variable\s+)(\{\{\w+\}\}|\w+)", re.MULTILINE)
# The view `staged` is made one of two ways by an ingest run (readers' rows only, or with the Parquet files
# DuckDB reads itself); definition_part makes each of the definition's tables in turn.
COLUMNS_ADDED = {"journeys/tables/mining_state_mined_by": ("mining_state", "mined_by"),
                 "journeys/tables/journeys_journey_key": ("journeys", "journey_key"),
                 "journeys/tables/journeys_chain_path": ("journeys", "chain_path")}
MADE_UNDER_ANOTHER_NAME = {"ingest/scratch/staged_with_parquet": "staged",
                           "journeys/scratch/definition_part": "{{table}}"}


def phases(folder: str) -> list[str | None]:
    headings = re.findall(r"^\s*\[(\w+)\]", (sql.SQL_DIR / folder / "order.txt").read_text(), re.MULTILINE)
    return headings or [None]


def last_part(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def made_by(name: str) -> list[str]:
    return MAKES.findall(sql.load(name).text)


@pytest.fixture
def sql_dir(tmp_path, monkeypatch):
    """An empty sql/ of the test's own, the loader's caches emptied before and after."""
    monkeypatch.setattr(sql, "SQL_DIR", tmp_path)
    sql.load.cache_clear()
    sql.steps.cache_clear()
    yield tmp_path
    sql.load.cache_clear()
    sql.steps.cache_clear()


def write(root: Path, name: str, text: str) -> None:
    path = root / f"{name}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", STATEMENTS)
def test_every_file_loads_its_declarations_matching_its_body(name):
    statement = sql.load(name)
    assert statement.name == name
    assert name.count("/") in (1, 2) and (name.count("/") == 1 or name.split("/")[1] in ("tables", "scratch", "macros"))


def test_a_body_using_an_undeclared_parameter_or_fragment_does_not_load(sql_dir):
    write(sql_dir, "f/used", "-- one row\n-- parameters: a\nselect $a, $b\n")
    write(sql_dir, "f/unused", "-- one row\n-- parameters: a, c\nselect $a\n")
    write(sql_dir, "f/marker", "-- one row\n-- parameters: a\nselect $a from {{table}}\n")
    with pytest.raises(ValueError) as used:
        sql.load("f/used")
    assert str(used.value) == "sql/f/used.sql: uses $b without declaring it in its `-- parameters:` line"
    with pytest.raises(ValueError) as unused:
        sql.load("f/unused")
    assert str(unused.value) == "sql/f/unused.sql: declares $c but does not use it"
    with pytest.raises(ValueError) as marker:
        sql.load("f/marker")
    assert str(marker.value) == "sql/f/marker.sql: uses table without declaring it in its `-- fragments:` line"


def test_literals_quoted_names_and_comments_are_not_parameters(sql_dir):
    write(sql_dir, "f/q", "-- $x in the header; {{y}} too\n-- parameters: a\n-- fragments: t\n"
                          "select json_extract_string('{\"k\": 1}', '$.k') as \"$q\", 'it''s $r', $a /* $s */\n"
                          "from {{t}} -- $u\n")
    statement = sql.load("f/q")
    assert (statement.parameters, statement.fragments) == ({"a"}, {"t"})


def test_a_call_missing_a_parameter_or_giving_an_undeclared_one_is_refused():
    con = duckdb.connect()
    sql.run(con, "journeys/tables/journeys")
    with pytest.raises(TypeError) as both:
        sql.run(con, "journeys/journeys", {"since": None})
    assert str(both.value) == "sql/journeys/journeys.sql: missing parameter $definition; unexpected $since"
    with pytest.raises(TypeError) as none:
        sql.run(con, "journeys/tables/journeys", {"definition": "d"})
    assert str(none.value) == "sql/journeys/tables/journeys.sql: unexpected $definition"
    with pytest.raises(TypeError) as several:
        sql.arrow(con, "exports/journeys", {"definitions": "d", "top": 1})
    assert str(several.value) == ("sql/exports/journeys.sql: missing parameter $definition; "
                                  "unexpected $definitions, $top")
    for read in (sql.arrow, sql.relation):
        with pytest.raises(TypeError, match=r"^sql/exports/journeys.sql: missing parameter \$definition$"):
            read(con, "exports/journeys", {})
    with pytest.raises(TypeError, match=r"^sql/exports/xes_lines.sql: unexpected \$rows$"):
        sql.batches(con, "exports/xes_lines", {"definition": "d", "head": "", "tail": "", "rows": 5}, 10)
    assert sql.arrow(con, "exports/journeys", {"definition": "d"}).num_rows == 0


def test_a_template_takes_exactly_its_fragments_and_the_parameters_they_bind():
    con = duckdb.connect()
    sql.run(con, "journeys/tables/journeys")
    with pytest.raises(TypeError) as fragment:
        sql.run_template(con, "journeys/delete_definition_rows", {"tables": "journeys"}, {"definition": "d"})
    assert str(fragment.value) == ("sql/journeys/delete_definition_rows.sql: missing fragment table; "
                                   "unexpected fragment tables")
    vocabulary = {"url_path": "page_url"}
    with pytest.raises(TypeError, match=r"^sql/exports/vocab_values.sql: unexpected \$match_0$"):
        sql.run_template(con, "exports/vocab_values", vocabulary, {"source": None, "match_0": 1})
    # a value a fragment binds belongs to the call; it must then be given
    bound = {"url_path": "coalesce(page_url, $match_0)"}
    with pytest.raises(TypeError, match=r"^sql/exports/vocab_values.sql: missing parameter \$match_0$"):
        sql.run_template(con, "exports/vocab_values", bound, {"source": None})
    sql.run(con, "ingest/tables/events")
    assert sql.run_template(con, "exports/vocab_values", bound, {"source": None, "match_0": "/x"}) == []


def test_run_steps_gives_each_step_exactly_its_values_and_refuses_missing_or_unused_ones(sql_dir):
    write(sql_dir, "f/tables/kept", "-- one row per value\ncreate table kept (value varchar)")
    write(sql_dir, "f/first", "-- parameters: a\ninsert into kept values ($a)")
    write(sql_dir, "f/second",
          "-- parameters: a, b\n-- fragments: column\ninsert into kept select $a || $b || {{column}}")
    (sql_dir / "f" / "order.txt").write_text("# comment\n[tables]\ntables/kept  # made once\n\n[fill]\nfirst\nsecond\n")
    assert (sql.steps("f", "fill"), sql.tables("f", "fill")) == (("f/first", "f/second"), ("first", "second"))
    con = duckdb.connect()
    sql.run_steps(con, "f", {}, phase="tables")
    with pytest.raises(TypeError) as missing:
        sql.run_steps(con, "f", {"a": "1"}, phase="fill", fragments={"column": "'c'"})
    assert str(missing.value) == "sql/f/order.txt [fill]: missing parameter $b"
    with pytest.raises(TypeError) as unused:
        sql.run_steps(con, "f", {"a": "1", "b": "2", "c": "3"}, phase="fill", fragments={"column": "'c'"})
    assert str(unused.value) == "sql/f/order.txt [fill]: unexpected $c"
    with pytest.raises(TypeError) as fragment:
        sql.run_steps(con, "f", {"a": "1", "b": "2"}, phase="fill", fragments={"column": "'c'", "row": "1"})
    assert str(fragment.value) == "sql/f/order.txt [fill]: unexpected fragment row"
    assert con.execute("select count(*) from kept").fetchone() == (0,)  # nothing ran
    sql.run_steps(con, "f", {"a": "1", "b": "2", "d": "4"}, phase="fill", fragments={"column": "$d"})
    assert con.execute("select value from kept order by value").fetchall() == [("1",), ("124",)]


def test_groups_gives_each_group_whole_however_the_batches_cut_it(sql_dir):
    write(sql_dir, "f/grouped", "-- parameters: n\nselect grp, v from (select range // 3 as grp, range as v "
                                "from range($n) union all select 7, 100) order by grp, v")
    con = duckdb.connect()
    for rows in (1, 2, 4, 1000):  # batches cutting a group, ending on one, or holding them all
        found = [(group, table.column("v").to_pylist()) for group, table in sql.groups(con, "f/grouped", {"n": 8},
                                                                                        rows=rows)]
        assert found == [(0, [0, 1, 2]), (1, [3, 4, 5]), (2, [6, 7]), (7, [100])], rows
    assert [group for group, _ in sql.groups(con, "f/grouped", {"n": 0})] == [7]


def test_duckdb_gives_its_buffers_back_and_keeps_its_rows_and_its_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNEYS_MEMORY_LIMIT", "2GiB")
    con = db.connect(tmp_path / "journeys.duckdb")
    beside = con.cursor()
    held = "select sum(memory_usage_bytes) from duckdb_memory()"
    con.begin()  # a mining run's work tables live in its transaction
    con.execute("create temp table kept as select range as a from range(30_000_000)").fetchall()  # 229 MiB
    assert beside.execute(held).fetchall()[0][0] > 200 * 2**20
    sql.give_back_memory(con)
    assert beside.execute(held).fetchall()[0][0] <= 128 * 2**20
    # while con reads a sorted query whose rows DuckDB holds (more than the lowered limit): it gives back the
    # rest, says nothing, and the query's rows all come
    con.execute("select sum(a) from kept").fetchall()  # the kept rows read back in
    reading = con.sql("select range % 1000 as g, range as a from range(20_000_000) order by g, a desc")
    batches = reading.to_arrow_reader(100_000)
    first = batches.read_next_batch()
    before = beside.execute(held).fetchall()[0][0]
    sql.give_back_memory(con)
    assert 128 * 2**20 < beside.execute(held).fetchall()[0][0] <= before - 200 * 2**20
    assert len(first) + sum(len(batch) for batch in batches) == 20_000_000
    assert beside.execute("select current_setting('memory_limit')").fetchall() == [("2.0 GiB",)]
    assert con.execute("select count(*), sum(a) from kept").fetchall() == [(30_000_000, 29_999_999 * 30_000_000 // 2)]
    con.commit()


def test_the_hand_over_folder_of_a_killed_run_is_removed_by_the_next(tmp_path):
    database = tmp_path / "journeys.duckdb"
    db.connect(database).close()
    killed = subprocess.Popen([sys.executable, "-c", HANDING_OVER, str(database)], stdout=subprocess.PIPE, text=True)
    assert killed.stdout.readline() == "handing over\n"  # its Parquet file written, the run not ended
    killed.kill()
    killed.wait()
    killed.stdout.close()
    left = list(tmp_path.glob("journeys.duckdb.handed-over-*"))
    assert len(left) == 1 and (left[0] / "pass_rows.parquet").exists()
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    kept = tmp_path / f"journeys.duckdb.handed-over-{running.pid}-abc"  # a running process's: never touched
    kept.mkdir()
    try:
        con = db.connect(database)
        with sql.handed_over(con, {"pass_rows": pa.table({"a": [1, 2]})}):
            assert con.execute("select sum(a) from pass_rows").fetchall() == [(3,)]
        assert list(tmp_path.glob("journeys.duckdb.handed-over-*")) == [kept]
    finally:
        running.kill()
        running.wait()


HANDING_OVER = """
import sys, time
import pyarrow as pa
from journey_mining import db, sql
con = db.connect(sys.argv[1])
with sql.handed_over(con, {"pass_rows": pa.table({"a": list(range(1000))})}):
    print("handing over", flush=True)
    time.sleep(60)
"""


def test_an_order_txt_naming_no_file_or_no_such_phase_is_refused(sql_dir):
    write(sql_dir, "f/first", "select 1")
    (sql_dir / "f" / "order.txt").write_text("[fill]\nfirst\nsecnd\n")
    with pytest.raises(ValueError, match=r"^sql/f/order.txt:3: no such statement sql/f/secnd.sql$"):
        sql.steps("f", "fill")
    (sql_dir / "f" / "order.txt").write_text("[fill]\nfirst\n")
    with pytest.raises(ValueError, match=r"^sql/f/order.txt: no phase \[load\] \(it has: \[fill\]\)$"):
        sql.steps("f", "load")


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_step_of_every_order_txt_exists_once(folder):
    listed = [step for phase in phases(folder) for step in sql.steps(folder, phase)]
    assert listed and len(listed) == len(set(listed))
    assert all(step in STATEMENTS for step in listed)


def test_every_file_is_run_by_an_order_txt_or_named_in_the_code():
    listed = {step for folder in FOLDERS for phase in phases(folder) for step in sql.steps(folder, phase)}
    named = set()
    for path in [*REPOSITORY.glob("journey_mining/**/*.py"), *REPOSITORY.glob("pipelines/**/*.py"),
                 *REPOSITORY.glob("benchmarks/**/*.py")]:
        named |= {node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert [name for name in STATEMENTS if name not in listed | named] == []


def test_each_file_is_named_after_what_it_makes_or_fills_and_no_two_make_the_same():
    makers: dict[str, list[str]] = {}
    for name in STATEMENTS:
        made = made_by(name)
        filled = re.findall(r"^insert\s+into\s+(\w+)", sql.load(name).text, re.MULTILINE)
        for thing in made:
            makers.setdefault(thing, []).append(name)
        if name in COLUMNS_ADDED:  # a column added to an older database's table: <table>_<column>
            table, column = COLUMNS_ADDED[name]
            assert f"alter table {table} add column if not exists {column} " in sql.load(name).text
            assert last_part(name) == f"{table}_{column}"
        elif name.count("/") == 2:  # tables/, scratch/, macros/: the one thing it is named after
            assert made + filled == [MADE_UNDER_ANOTHER_NAME.get(name, last_part(name))], name
        else:  # at the top: a file fills its table, or makes nothing (a delete, a query)
            assert made == [] and filled in ([], [last_part(name)]), name
    assert {thing: names for thing, names in makers.items() if len(names) > 1} == {
        "staged": ["ingest/scratch/staged", "ingest/scratch/staged_with_parquet"]}


def test_the_mining_code_digest_covers_nested_sql_files_and_step_orders(tmp_path, monkeypatch):
    copy = tmp_path / "sql"
    shutil.copytree(sql.SQL_DIR, copy)
    monkeypatch.setattr(sql, "SQL_DIR", copy)
    mining.mining_code_digest.cache_clear()
    digests = [mining.mining_code_digest()]
    for changed in (copy / "funnels" / "scratch" / "funnel_events.sql", copy / "journeys" / "order.txt"):
        changed.write_text(changed.read_text() + "\n# changed\n" if changed.suffix == ".txt" else
                           changed.read_text() + "\n-- changed\n")
        mining.mining_code_digest.cache_clear()
        digests.append(mining.mining_code_digest())
    mining.mining_code_digest.cache_clear()
    assert len(set(digests)) == 3
