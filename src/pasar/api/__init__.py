"""The REST API (``/api/v1``): FastAPI routes over the domain services, every list paginated,
every error ``{"error": {"code", "message", "field"}}``, every row filtered to what the caller
may see."""
