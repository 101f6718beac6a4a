"""Writing a mined definition's tables to files for BI tools and spreadsheets (SPEC section 6)."""

import glob
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from journey_mining import sql

# The files, in the order they are written (sql/exports/order.txt): each the rows of sql/exports/<table>.sql
CSV_TABLES = sql.tables("exports", "csv")
PARQUET_TABLES = sql.tables("exports", "parquet")
FORMULA_START = r"^[=+\-@\t\r]"  # what a spreadsheet would run as a formula
SHEET_ROWS = 100_000  # per sheet of the Excel workbook, well under Excel's 1,048,576 and quick to write
EXPORT_BATCH_ROWS = 500_000  # Parquet files are streamed: at 100M events they do not fit in memory at once


@contextmanager
def replaced_whole(folder: Path) -> Iterator[Path]:
    """A new folder to write a run's files into, which replaces `folder` whole once they are all written.

    A run stopped part-way leaves the previous files as they were, never a mix of two runs; the next run
    removes what a stopped one left (hidden folders beside `folder`).
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in folder.parent.glob(f".{glob.escape(folder.name)}.*-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = folder.with_name(f".{folder.name}.writing-{os.getpid()}")
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = folder.with_name(f".{folder.name}.replaced-{os.getpid()}")
    if folder.exists():
        folder.rename(previous)
    staging.rename(folder)
    shutil.rmtree(previous, ignore_errors=True)


def write_tables(con: duckdb.DuckDBPyConnection, definition: str, folder: Path) -> list[Path]:
    """The CSV and Parquet files of one definition; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in CSV_TABLES:
        rows = sql.arrow(con, f"exports/{table}", {"definition": definition})
        path = folder / f"{table}.csv"
        pa_csv.write_csv(spreadsheet_safe(rows), path)
        written.append(path)
    for table in PARQUET_TABLES:
        rows = sql.batches(con, f"exports/{table}", {"definition": definition}, EXPORT_BATCH_ROWS)
        path = folder / f"{table}.parquet"
        with pq.ParquetWriter(path, rows.schema, coerce_timestamps="us") as parquet:  # us: Spark reads it too
            for batch in rows:
                parquet.write_batch(batch)
        written.append(path)
    return written


def write_workbook(con: duckdb.DuckDBPyConnection, definition: str, path: Path,
                   tables: tuple[str, ...] = CSV_TABLES) -> Path:
    """An Excel workbook of the definition's tables, one sheet each with the columns of its CSV file, text
    cells spreadsheet-safe. A sheet holds at most a table's first SHEET_ROWS rows (variants by rank): a
    spreadsheet is for reading, the CSV files hold everything."""
    with pd.ExcelWriter(path, engine="openpyxl") as workbook:
        for table in tables:
            rows = spreadsheet_safe(sql.arrow(con, f"exports/{table}", {"definition": definition}))
            rows.slice(0, SHEET_ROWS).to_pandas().to_excel(workbook, sheet_name=table, index=False)
    return path


def spreadsheet_safe(table: pa.Table) -> pa.Table:
    """Text cells that a spreadsheet would run as a formula get a leading `'`; numbers stay as they are."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, FORMULA_START)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def write_summary(path: Path, summary: dict) -> None:
    path.write_text(json.dumps(summary, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")


XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
"""


def write_xes(con: duckdb.DuckDBPyConnection, definition: str, path: Path) -> None:
    """The journeys as an XES event log (case = journey, activity = touchpoint, one event per path step),
    for Disco, ProM, Celonis, Apromore or pm4py. DuckDB writes it, a line per step (exports/xes_lines)."""
    lines = sql.relation(con, "exports/xes_lines", {"definition": definition, "head": XES_HEAD, "tail": "\n</log>"})
    if not sql.one(con, "select exists (select 1 from journey_steps where definition = ?)", [definition])[0]:
        path.write_text(XES_HEAD + "</log>\n", encoding="utf-8")  # no step: no line to carry the head
        return
    # as text as it is: no header, no quoting (no line holds the unit separator)
    lines.write_csv(str(path), header=False, quotechar="", escapechar="", sep="\x1f")
