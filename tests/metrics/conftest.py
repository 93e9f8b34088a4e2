"""The metric tests read the generated marketplace of ``tests/marketplace.py`` (the
``marketplace`` fixture of ``tests/conftest.py``)."""

from tests.marketplace import Marketplace

__all__ = ["Marketplace"]
