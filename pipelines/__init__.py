"""The Dagster code location of journey mining: landing files into DuckDB, then persons, every night."""
