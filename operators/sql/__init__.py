"""Text-to-SQL operators: SQL synthesis and variation, safe execution filters, questions, CoT and difficulty."""
