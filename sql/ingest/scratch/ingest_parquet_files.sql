-- The Parquet files of the current ingest run that DuckDB reads itself: their paths, in the order
-- given, mapped to their file ids (read by scratch/staged_with_parquet).
-- parameters: paths, file_ids
set variable ingest_parquet_files = map($paths, $file_ids)
