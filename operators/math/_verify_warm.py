"""Preloaded by the verification pool's fork server: math-verify imported and its LaTeX grammar's prediction cache
(ANTLR's DFA, per process) filled once with typical answers, so every worker, a restarted one too, forks warm."""

from __future__ import annotations

from operators.math._verify_worker import judge

TYPICAL = ("\\frac{3}{4}", "-\\frac{7}{2}", "2\\sqrt{3}", "\\sqrt{18}", "2^{10}", "x^2 + 5x + 6", "(x+2)(x+3)",
           "[-\\frac{1}{2}, \\infty)", "(1, 3]", "\\{1, 2, 3\\}", "-2, 5", "45\\%", "12\\text{ cm}", "3\\frac{1}{2}",
           "\\pi/2", "\\pm 3", "x = 4", "\\left(\\frac{1}{2}, 3\\right)", "0.25", "\\dfrac{5}{8}")

for _answer in TYPICAL:
    judge(f"so \\boxed{{{_answer}}}", TYPICAL[-1])
