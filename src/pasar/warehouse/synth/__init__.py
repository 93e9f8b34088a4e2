"""Synthetic Indonesian social-commerce marketplace: deterministic, vectorised, chunked."""
