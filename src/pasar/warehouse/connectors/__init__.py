"""Connectors: how each kind of export maps onto the contract tables."""
