"""The application uvicorn serves (``pasar serve``), built from the environment's settings."""

from __future__ import annotations

from pasar.api.app import create_app
from pasar.config import get_settings

app = create_app(get_settings())
