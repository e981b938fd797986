"""The library server's books: items and pages, the sync's pure decisions, folder and file naming."""
