"""Generic LLM operators and their bases: prompts as data, batched calls, per-row failure accounting."""
