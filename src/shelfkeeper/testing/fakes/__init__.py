"""Fake servers, one module per outside service."""
