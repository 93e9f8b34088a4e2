"""Reliability: faults (killed processes, a restarted database, a full disk) and bad input."""
