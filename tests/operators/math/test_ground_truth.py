"""ReasoningAnswerGroundTruthFilter on hand-made (answer, gold) pairs: every verdict is written by hand.

Equivalent forms must be kept, wrong answers dropped with ``answer_mismatch``, and a pathological expression that
would keep a CAS busy for hours is stopped by the per-row time limit: that row is dropped as ``verify_timeout`` and
every row after it is still judged.
"""

from __future__ import annotations

import json
import time

import pyarrow as pa
from sympy import srepr

from benchmarks.math_pairs import pairs
from operators.base import OperatorContext
from operators.math.answer_filters import ReasoningAnswerGroundTruthFilter
from operators.math.verify_pool import VerifyPool
from tests.conftest import SAMPLES
from tests.operators.helpers import reasons

KEEP = None
WRONG = "answer_mismatch"

# (generated_cot, golden_answer, expected drop reason or KEEP)
PAIRS: list[tuple[str, str, str | None]] = [
    # fractions and decimals, every spelling
    ("So the answer is \\boxed{0.5}.", "1/2", KEEP),
    ("\\boxed{\\frac{1}{2}}", "0.5", KEEP),
    ("Thus $\\boxed{\\dfrac12}$.", "\\frac{1}{2}", KEEP),
    ("\\boxed{1/2}", "\\frac12", KEEP),
    ("\\boxed{\\tfrac{7}{2}}", "3.5", KEEP),
    ("\\boxed{\\frac{3}{4}}", "0.75", KEEP),
    ("\\boxed{3.0}", "3", KEEP),
    ("\\boxed{0.51}", "1/2", WRONG),
    ("\\boxed{\\frac{2}{3}}", "\\frac{3}{2}", WRONG),
    # radicals and powers
    ("\\boxed{2\\sqrt{2}}", "\\sqrt{8}", KEEP),
    ("\\boxed{\\sqrt8}", "2\\sqrt2", KEEP),
    ("\\boxed{\\frac{\\sqrt{2}}{2}}", "\\sqrt{2}/2", KEEP),
    ("\\boxed{1024}", "2^{10}", KEEP),
    ("\\boxed{2^{10}}", "1024", KEEP),
    ("\\boxed{10^{3}}", "1000", KEEP),
    ("\\boxed{2\\sqrt{3}}", "\\sqrt{8}", WRONG),
    ("\\boxed{1023}", "2^{10}", WRONG),
    # \boxed{} nesting and the last box winning
    ("\\boxed{\\boxed{7}}", "7", KEEP),
    ("A first guess \\boxed{3}; correcting the sum gives \\boxed{5}.", "5", KEEP),
    ("\\boxed{\\frac{\\boxed{1}}{2}}", "0.5", KEEP),
    ("A first guess \\boxed{5}; correcting the sum gives \\boxed{3}.", "5", WRONG),
    # signs and off by one
    ("\\boxed{-3}", "-3", KEEP),
    ("\\boxed{-5}", "5", WRONG),
    ("\\boxed{\\frac{1}{2}}", "-\\frac12", WRONG),
    ("\\boxed{11}", "12", WRONG),
    ("\\boxed{1001}", "1000", WRONG),
    # \pm is two answers, not one
    ("\\boxed{\\pm 2}", "2", WRONG),
    ("\\boxed{2}", "\\pm 2", WRONG),
    ("\\boxed{\\pm 2}", "\\pm 2", KEEP),
    # a rounded pi is not pi
    ("\\boxed{3.14}", "\\pi", WRONG),
    ("\\boxed{\\frac{22}{7}}", "\\pi", WRONG),
    ("\\boxed{\\frac{\\pi}{2}}", "\\pi/2", KEEP),
    ("\\boxed{\\frac{\\pi}{2}}", "pi/2", KEEP),  # plain-text golds
    ("\\boxed{2\\sqrt{2}}", "sqrt(8)", KEEP),
    # sets in any order, multiple answers
    ("\\boxed{\\{1, 2, 3\\}}", "\\{3, 2, 1\\}", KEEP),
    ("\\boxed{-2, 2}", "2, -2", KEEP),
    ("\\boxed{\\{1, 2\\}}", "\\{1, 2, 3\\}", WRONG),
    # intervals with open and closed ends
    ("\\boxed{(1, 3]}", "(1,3]", KEEP),
    ("\\boxed{[0, \\infty)}", "[0,\\infty)", KEEP),
    ("\\boxed{[1, 3]}", "(1, 3]", WRONG),
    ("\\boxed{(0, \\infty)}", "[0, \\infty)", WRONG),
    # percentages
    ("\\boxed{50\\%}", "50\\%", KEEP),
    ("\\boxed{25\\%}", "25%", KEEP),
    ("\\boxed{5\\%}", "50\\%", WRONG),
    # units
    ("\\boxed{12 \\text{ cm}}", "12", KEEP),
    ("\\boxed{12}", "12 cm", KEEP),
    ("\\boxed{13\\text{ cm}}", "12 cm", WRONG),
    ("\\boxed{45^\\circ}", "45", KEEP),
    ("\\boxed{\\$15}", "15", KEEP),
    # mixed numbers
    ("\\boxed{2\\frac{1}{2}}", "\\frac{5}{2}", KEEP),
    ("\\boxed{2\\frac{1}{2}}", "2.5", KEEP),
    ("\\boxed{2\\frac{1}{3}}", "5/2", WRONG),
    # multiple-choice letters
    ("The answer is \\boxed{B}.", "B", KEEP),
    ("\\boxed{(D)}", "D", KEEP),
    ("Comparing the options, the answer is (C).", "C", KEEP),
    ("\\boxed{A}", "B", WRONG),
    # expressions and equations
    ("\\boxed{x^2 + 2x + 1}", "(x+1)^2", KEEP),
    ("\\boxed{x^2 + 1}", "(x+1)^2", WRONG),
    ("\\boxed{x = 4}", "4", KEEP),
    ("\\boxed{\\left(\\frac{1}{2}, 3\\right)}", "(1/2, 3)", KEEP),
    # no box: the last expression, or an "answer is" phrase
    ("Adding 40 and 2 gives 42.", "42", KEEP),
    ("The final answer is $\\frac{2}{3}$.", "2/3", KEEP),
    ("Adding 40 and 2 gives 43.", "42", WRONG),
    # nothing to compare
    ("I am not sure how to solve this.", "5", "no_final_answer"),
    ("\\boxed{5}", "", "empty_golden_answer"),
    ("", "5", "no_final_answer"),
]

# 9^(9^(9^9)): sympy evaluates the power tower in C (big-integer arithmetic) and never returns;
# math-verify's signal-based timeout cannot interrupt it, the pool's kill does
PATHOLOGICAL = ("\\boxed{9^{9^{9^{9}}}}", "1", "verify_timeout")


def run_pairs(pairs: list[tuple[str, str, str | None]], **config: object) -> tuple[dict[int, str], dict]:
    table = pa.table({"id": list(range(len(pairs))), "generated_cot": [p[0] for p in pairs],
                      "golden_answer": [p[1] for p in pairs]})
    result = ReasoningAnswerGroundTruthFilter(config).run(table, OperatorContext())
    assert result.kept + result.dropped_count == len(pairs)
    return reasons(result), result.metrics


def test_at_least_sixty_hand_made_pairs_with_equivalent_and_wrong_forms() -> None:
    assert len(PAIRS) >= 60
    assert sum(expected is KEEP for _, _, expected in PAIRS) >= 30
    assert sum(expected == WRONG for _, _, expected in PAIRS) >= 20


def test_every_hand_made_pair_gets_its_verdict_and_a_hanging_row_is_stopped() -> None:
    middle = len(PAIRS) // 2
    pairs = PAIRS[:middle] + [PATHOLOGICAL] + PAIRS[middle:]
    started = time.monotonic()
    dropped, metrics = run_pairs(pairs, row_timeout_s=3.0)
    elapsed = time.monotonic() - started
    wrong = [(answer, gold, expected, dropped.get(i))
             for i, (answer, gold, expected) in enumerate(pairs) if dropped.get(i) != expected]
    assert not wrong, wrong
    assert dropped[middle] == "verify_timeout"  # the run went on: every later row has its verdict (above)
    assert metrics["verify_timeouts"] == 1 and metrics["verify_worker_restarts"] == 1
    assert metrics["verified_rows"] == sum(expected is KEEP for _, _, expected in PAIRS)
    assert elapsed < 60


def test_latex_gold_without_delimiters_is_not_dropped() -> None:
    """DataFlow passes a LaTeX gold to math-verify without $…$, which cannot parse it: correct answers dropped."""
    pairs = [("\\boxed{0.5}", "\\frac12", KEEP), ("\\boxed{2\\sqrt{2}}", "\\sqrt{8}", KEEP),
             ("\\boxed{1024}", "2^{10}", KEEP)]
    dropped, _ = run_pairs(pairs, workers=1)
    assert dropped == {}


def test_exact_mode_compares_the_final_answer_text() -> None:
    pairs = [("so \\boxed{\\dfrac{1}{2}}", "\\frac{1}{2}", KEEP), ("\\boxed{0.5}", "1/2", WRONG),
             ("the answer is 42.", "42", KEEP), ("no answer here", "3", "no_final_answer"),
             ("\\boxed{3}", "  ", "empty_golden_answer")]
    dropped, metrics = run_pairs(pairs, compare_method="exact")
    assert dropped == {i: expected for i, (_, _, expected) in enumerate(pairs) if expected}
    assert metrics["verified_rows"] == 2


def test_pool_judges_in_order_with_one_worker_and_with_two() -> None:
    pairs = [(f"\\boxed{{{n}}}", str(n if n % 3 else n + 1)) for n in range(100)]
    one = VerifyPool(workers=1).judge(pairs)
    two = VerifyPool(workers=2).judge(pairs)
    assert one == two == ["different" if n % 3 == 0 else "equal" for n in range(100)]


def test_sll_first_parsing_gives_the_grammars_own_results() -> None:
    """The worker's two-stage ANTLR parsing returns what latex2sympy's full-LL parse returns, or fails alike."""
    from latex2sympy2_extended.latex2sympy2 import _Latex2Sympy  # noqa: PLC0415

    from operators.math._verify_worker import LL_PARSE  # noqa: PLC0415 - installs the two-stage parse

    golds = [json.loads(line)["golden_answer"] for line in (SAMPLES / "math_word_problems.jsonl").open()]
    latex = sorted({*golds, *(gold for _, gold, _ in PAIRS), *(answer for answer, _, _ in PAIRS)} - {""})
    compared = 0
    for text in latex:
        outcomes = []
        for parse in (_Latex2Sympy.parse, LL_PARSE):
            try:
                outcomes.append(("ok", srepr(parse(_Latex2Sympy(), text))))
            except Exception as exc:  # noqa: BLE001 - both must fail alike
                outcomes.append(("error", type(exc).__name__))
        assert outcomes[0] == outcomes[1], text
        compared += outcomes[0][0] == "ok"
    assert compared >= 100


def test_generated_pairs_get_their_known_verdicts() -> None:
    """The benchmark's pairs (every answer kind of the math sample; the gold, an equivalent form, or one number
    off by one) on both workers."""
    triples = pairs(400, seed=3)
    verdicts = VerifyPool(workers=2).judge([(solution, gold) for solution, gold, _ in triples])
    wrong = [(t, v) for t, v in zip(triples, verdicts, strict=True) if v != t[2]]
    assert not wrong, wrong[:5]
    assert {"equal", "different"} <= set(verdicts)
