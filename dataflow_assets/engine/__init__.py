"""What a step runs on, without Dagster: an operator over a partition's chunks, its output profile, histograms and
the export files."""
