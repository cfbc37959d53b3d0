"""Deterministic (solution, golden answer) pairs for `make bench-math`, from the math sample's templates.

Each problem of ``scripts/make_math_sample.py`` (any count, seeded) gets a short solution ending in ``\\boxed{}``
holding its gold as written (``same``), an equivalent form of it (``equivalent``: another spelling of the number,
reordered answers, the expanded power, the mixed number …) or a wrong answer (``wrong``: one number off by one).
The expected verdict of every pair is known, so the benchmark also counts disagreements.
"""

from __future__ import annotations

import importlib.util
import random
import re
from fractions import Fraction
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_math_sample.py"
FRACTION = re.compile(r"^(-?)\\frac\{(\d+)\}\{(\d+)\}$")
NUMBER = re.compile(r"\d+")


def sample_module() -> ModuleType:
    """``scripts/make_math_sample.py`` as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_math_sample", SCRIPT)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _value(gold: str) -> Fraction | None:
    match = FRACTION.match(gold)
    if match:
        return Fraction(int(match.group(2)), int(match.group(3))) * (-1 if match.group(1) else 1)
    try:
        return Fraction(gold)
    except ValueError:
        return None


def _factors(n: int) -> list[int]:
    found, f = [], 2
    while n > 1:
        while n % f == 0:
            found.append(f)
            n //= f
        f += 1
    return found


def equivalent(kind: str, gold: str, rng: random.Random) -> str:
    """Another way to write ``gold`` with the same value."""
    value = _value(gold)
    if kind == "fraction" and value is not None:
        return rng.choice((f"{value.numerator}/{value.denominator}", gold.replace("\\frac", "\\dfrac")))
    if kind == "mixed_number" and value is not None and value.denominator > 1:
        whole, rest = divmod(value.numerator, value.denominator)
        return f"{whole}\\frac{{{rest}}}{{{value.denominator}}}"
    if kind == "decimal" and value is not None:
        return f"\\frac{{{value.numerator}}}{{{value.denominator}}}" if value.denominator > 1 else f"{value}.00"
    if kind in ("integer", "lcm") and value is not None:
        return rng.choice((f"{value}.0", f"{int(value):,}".replace(",", "\\,"), f"\\text{{{value}}}"))
    if kind == "units":
        return gold.split()[0] if rng.random() < 0.5 else gold.replace(" ", "\\text{ ") + "}"
    if kind == "percent":
        return gold.replace("\\%", "%")
    if kind == "radical":
        outside, inside = re.match(r"(\d+)\\sqrt\{(\d+)\}", gold).groups()  # type: ignore[union-attr]
        return f"\\sqrt{{{int(outside) ** 2 * int(inside)}}}"
    if kind == "power":
        base, exponent = re.match(r"(\d+)\^\{(\d+)\}", gold).groups()  # type: ignore[union-attr]
        return str(int(base) ** int(exponent))
    if kind == "two_roots":
        return ", ".join(reversed(gold.split(", ")))
    if kind == "interval":
        bound = gold[1:].split(",")[0]
        number = _value(bound)
        exact = number is not None and all(f in (2, 5) for f in _factors(number.denominator))
        return gold.replace(bound, f"{float(number):g}") if exact else gold.replace(" ", "")
    if kind == "polynomial":
        return " + ".join(reversed(gold.split(" + ")))
    if kind == "multiple_choice":
        return f"({gold})"
    return gold


def wrong(gold: str, rng: random.Random) -> str:
    """``gold`` with one of its numbers one larger (a letter answer moves to the next letter)."""
    if re.fullmatch(r"[A-E]", gold):
        return "ABCDE"[("ABCDE".index(gold) + 1) % 5]
    numbers = list(NUMBER.finditer(gold))
    if not numbers:
        return gold + "+1"
    pick = rng.choice(numbers)
    return gold[: pick.start()] + str(int(pick.group()) + 1) + gold[pick.end():]


def pairs(count: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """``count`` (solution, gold, expected) triples; expected is ``equal`` or ``different``."""
    rng = random.Random(seed)
    rows = sample_module().problems(count, seed)
    out = []
    for row in rows:
        kind, gold = row["source"].split("/")[1], row["golden_answer"]
        form = rng.choices(("same", "equivalent", "wrong"), weights=(35, 35, 30))[0]
        answer = gold if form == "same" else equivalent(kind, gold, rng) if form == "equivalent" else wrong(gold, rng)
        steps = " ".join(rng.sample(("First we read the problem carefully.", "We write down the known quantities.",
                                     "Then we set up the computation.", "We check the result once more."), 3))
        out.append((f"{steps} {row['instruction'][:60]} ... Therefore the final answer is $\\boxed{{{answer}}}$.",
                    gold, "different" if form == "wrong" else "equal"))
    return out
