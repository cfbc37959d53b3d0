"""Raw files into Arrow rows: reading and validating JSONL, CSV and Parquet, in chunks for large files (no Dagster)."""
