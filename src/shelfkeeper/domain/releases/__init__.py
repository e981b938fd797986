"""Releases: what an indexer offers, parsing its title, verifying it holds the wanted book, ranking with reasons."""
