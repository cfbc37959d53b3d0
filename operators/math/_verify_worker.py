"""One (answer, gold) judgement with math-verify; runs inside a ``VerifyPool`` worker process (or inline in tests).

The gold is parsed twice, as LaTeX (wrapped in ``$…$``, which math-verify needs to see it as math) and as plain
text; the answer's last ``\\boxed{}`` is parsed the same way, and an answer without a box is left to math-verify's
own extraction (an "answer is" phrase, else the last expression). math-verify's signal-based timeouts are off
here: the pool kills a worker that overruns its row, which also stops a CAS stuck in C code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sympy
from antlr4.atn.PredictionMode import PredictionMode
from latex2sympy2_extended.latex2sympy2 import _Latex2Sympy
from math_verify import ExprExtractionConfig, LatexExtractionConfig, StringExtractionConfig, parse, verify

from operators.math.answers import BoxedError, choice_letter, final_answer, last_boxed, normalized, plain_number

EQUAL, DIFFERENT, NO_ANSWER, NO_GOLD, GOLD_UNPARSED = "equal", "different", "no_answer", "no_gold", "gold_unparsed"
LATEX = (LatexExtractionConfig(boxed_match_priority=0),)
EXPR = (ExprExtractionConfig(),)
ANYWHERE = (LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig())
LATEX_SYNTAX = re.compile(r"[\\{}\[\]]|\(.*,")  # a command, braces, brackets, or a tuple/interval
PLAIN_PI = re.compile(r"(?<!\\)\bpi\b")  # plain-text pi: the constant, \pi in LaTeX
SPACE = re.compile(r"\s+")
PLUS_MINUS = re.compile(r"\\pm|\\mp|±|∓")
LETTERS = (StringExtractionConfig(strings=tuple("ABCDE")),)

logging.getLogger("math_verify").setLevel(logging.ERROR)  # its "timeout disabled" notice: the pool times rows


def sll_first(parse: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    """latex2sympy's ``parse`` with ANTLR's two-stage strategy: the fast SLL prediction first, full LL only when
    that reports an error. ANTLR guarantees that an SLL parse without a syntax error is the LL parse, and
    latex2sympy raises on any syntax error, so the results are the grammar's own, about 3x sooner (most of its
    time is LL prediction). Checked against plain LL on the sample golds in tests/operators/math."""

    def parse_sll_first(self: Any, latex: str) -> Any:
        self._dataflow_sll = True
        try:
            return parse(self, latex)
        except Exception:  # noqa: BLE001 - a syntax error under SLL: parse again with full LL
            self._dataflow_sll = False
            return parse(self, latex)

    return parse_sll_first


def _create_parser(create: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    def create_parser(self: Any, latex: str) -> Any:
        parser = create(self, latex)
        if getattr(self, "_dataflow_sll", False):
            parser._interp.predictionMode = PredictionMode.SLL
        return parser

    return create_parser


if not hasattr(_Latex2Sympy, "_dataflow_ll_parse"):  # once per process
    _Latex2Sympy._dataflow_ll_parse = _Latex2Sympy.parse
    _Latex2Sympy.create_parser = _create_parser(_Latex2Sympy.create_parser)
    _Latex2Sympy.parse = sll_first(_Latex2Sympy._dataflow_ll_parse)
LL_PARSE = _Latex2Sympy._dataflow_ll_parse  # latex2sympy's own parse (full LL prediction), for comparison


def _parsed(text: str, configs: tuple) -> list:
    return parse(text, list(configs), parsing_timeout=None)  # type: ignore[arg-type]


def _unwrapped(text: str) -> str:
    """``text`` without surrounding ``$``/``\\(…\\)`` delimiters and an outer ``\\boxed{}``."""
    text = text.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(text) > len(left) + len(right) and text.startswith(left) and text.endswith(right):
            text = text[len(left): -len(right)].strip()
            break
    if text.startswith(("\\boxed", "\\fbox")):
        try:
            text = last_boxed(text) or text
        except BoxedError:
            pass
    return text


@lru_cache(maxsize=4096)
def targets(text: str) -> tuple:
    """What math-verify makes of a final answer: parsed as LaTeX in ``$…$``, and as plain text (``sqrt(8)``,
    ``2*pi``) when that reading covers the whole answer (of ``-5, 0`` or ``(1, 3]`` it would only find the last
    number) and the answer has no LaTeX or bracket syntax."""
    inner = _unwrapped(text).replace("\\boxed", "").replace("\\fbox", "")  # a box inside the box: its content
    number = _number_target(inner)
    if number is not None:
        return number
    latex = tuple(_parsed("$" + PLAIN_PI.sub(lambda _: "\\pi", inner) + "$", LATEX))
    if LATEX_SYNTAX.search(inner) and latex:
        return latex
    plain = _parsed(inner, EXPR)  # [value, the text it was read from]: only a reading of the whole answer counts
    whole = len(plain) == 2 and SPACE.sub("", str(plain[1])) == SPACE.sub("", inner).rstrip(".")
    return latex + (tuple(plain) if whole else ())


def _number_target(text: str) -> tuple | None:
    """A plain integer, decimal or fraction as the sympy number math-verify's parse makes of it (Integer, Float,
    Rational), without running its LaTeX grammar; None for anything else."""
    value = plain_number(normalized(text))
    if value is None:
        return None
    if "." in text:
        return (sympy.Float(normalized(text)), text)
    return (sympy.Rational(value.numerator, value.denominator), text)


def judge(answer: str | None, gold: str | None) -> str:
    """``equal`` / ``different`` for an answer and its gold, or why they could not be compared."""
    if gold is None or not gold.strip():
        return NO_GOLD
    if answer is None or not answer.strip():
        return NO_ANSWER
    letter = choice_letter(_unwrapped(gold))
    if letter is not None:
        return _judge_choice(answer, letter)
    try:
        boxed = last_boxed(answer)
    except BoxedError:
        boxed = None
    if boxed is not None:
        quick = _quick(normalized(boxed), normalized(_unwrapped(gold))) or _plus_minus(boxed, gold)
        if quick is not None:
            return quick
        answer_targets = targets(boxed) if boxed else ()
    else:
        answer_targets = tuple(_parsed(answer, ANYWHERE))
    if not answer_targets:
        return NO_ANSWER
    gold_targets = targets(gold)
    if not gold_targets:
        return GOLD_UNPARSED
    return EQUAL if verify(list(gold_targets), list(answer_targets), timeout_seconds=None) else DIFFERENT


def _quick(answer: str, gold: str) -> str | None:
    """The verdict without a CAS when it is certain: the same text, or two plain numbers (integers, decimals,
    fractions) that are equal, or that differ and both have at most 5 decimals (math-verify rounds to 6, so it
    could not call them equal; other unequal numbers are left to it)."""
    if answer == gold:
        return EQUAL
    a, g = plain_number(answer), plain_number(gold)
    if a is None or g is None:
        return None
    if a == g:
        return EQUAL
    return DIFFERENT if (a * 100_000).denominator == 1 and (g * 100_000).denominator == 1 else None


def _plus_minus(answer: str, gold: str) -> str | None:
    """``different`` when one side is ``±x`` and the other a single value (math-verify takes ``2`` to be in
    ``±2``): a ``±`` answer is two values, equal only to a gold that lists several."""
    if bool(PLUS_MINUS.search(answer)) == bool(PLUS_MINUS.search(gold)):
        return None
    single = gold if PLUS_MINUS.search(answer) else answer
    return None if "," in single else DIFFERENT


def _judge_choice(answer: str, letter: str) -> str:
    """A multiple-choice gold: the answer's boxed or stated letter, else the letter math-verify finds."""
    found = choice_letter(final_answer(answer))
    if found is None:
        parsed = _parsed(answer, LETTERS)
        found = parsed[0].upper() if parsed and isinstance(parsed[0], str) else None
    if found is None:
        return NO_ANSWER
    return EQUAL if found == letter else DIFFERENT
