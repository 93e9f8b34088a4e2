"""Pasar: an operations platform for social-commerce marketplaces."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pasar")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
