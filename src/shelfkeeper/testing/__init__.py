"""Faithful fake servers of the outside services, and the tools to run them on 127.0.0.1."""
