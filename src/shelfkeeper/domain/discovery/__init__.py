"""Discovery: what the library lacks — series gaps, author catalogues, ownership and series positions."""
