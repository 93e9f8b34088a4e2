"""Engines that run compiled metric SQL: DuckDB (default) and Spark (scale-out)."""
