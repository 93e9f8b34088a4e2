"""The metric layer: a YAML catalog of datasets and metrics, compiled to SQL for DuckDB and Spark,
queried by dimension and time, and stored as per-entity snapshots by date."""
