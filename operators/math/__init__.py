"""Math reasoning operators (DataFlow's reasoning family): question synthesis, filtering and grading, chain-of-thought
answers, and their verification against a golden answer (math-verify) or by majority vote."""
