"""Deduplication filters, global across partitions: exact, MinHash, SimHash, n-gram pieces, semantic."""
