"""The policy engine: packs of SQL-predicate policies, evaluated over metric snapshots."""
