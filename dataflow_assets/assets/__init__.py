"""The Dagster side: the factory turning specs into assets, the nodes behind them, ops (segments), checks and UI
metadata."""
