"""Append-only event log shared by every domain: who did what, when, why, before and after."""
