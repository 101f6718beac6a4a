"""The Dagster code location of journey mining: landing files into DuckDB, then persons, then every
journey definition mined, checked and exported, every night."""
