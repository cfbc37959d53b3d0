"""Pipeline specs: the YAML format as pydantic models, the loader that validates them, and the spec catalog."""
