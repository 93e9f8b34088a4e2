"""Validated fact tables (Parquet + DuckDB): the data contract, ingestion, connectors, synth."""
