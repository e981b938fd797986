"""Shelfkeeper: audiobook automation for Audiobookshelf."""

__version__ = "0.1.0"
