"""Code operators: sandboxed execution of generated code, heuristic filters for code pretraining data, and the
LLM operators of code SFT synthesis (instructions from code, code from instructions, quality scores)."""
