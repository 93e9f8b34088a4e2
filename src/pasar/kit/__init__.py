"""Shared kernel: database session and unit of work, errors, clock, money. Knows no domain."""
