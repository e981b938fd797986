"""Metadata matching: provider candidates, named penalties, distance, editions, the apply/review/reject decision."""
