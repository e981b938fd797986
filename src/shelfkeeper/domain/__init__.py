"""Pure domain logic: no network, no database, no settings import."""
