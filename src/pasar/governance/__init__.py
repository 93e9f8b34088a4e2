"""Seller governance: violation points in an append-only ledger, the enforcement ladder, the
human review queue, and the daily pipeline that feeds them from policy findings."""
