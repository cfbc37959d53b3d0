"""Built-in pipeline specs (YAML files in this folder)."""
