"""Ingestion: read files, validate them against the contract, merge into the warehouse."""
