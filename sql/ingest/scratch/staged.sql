-- Every staged row of the current ingest run, when DuckDB reads no Parquet file itself.
create or replace temp view staged as
select * from staged_rows
