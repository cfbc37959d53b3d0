"""Make the math word-problem samples: problems with golden answers in DataFlow's row format.

Every problem comes from a template below filled with seeded random numbers, and its golden answer is computed
exactly (``fractions.Fraction``), written the way a dataset would: integers, fractions and radicals in LaTeX,
decimals, units, percentages, several answers, intervals, polynomials, multiple choice. Rows are
``{"instruction", "golden_answer", "source"}``, as in DataFlow's ReasoningPipeline examples.

    python scripts/make_math_sample.py            # writes data/samples/math_word_problems.jsonl and math_demo.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kemal", "Lena", "Mateo", "Nia")
Problem = tuple[str, str]  # (instruction, golden_answer)


def latex_fraction(value: Fraction) -> str:
    """``\\frac{p}{q}`` (negative sign in front), or the integer."""
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def integers(rng: random.Random) -> Problem:
    rows, per_row, eaten = rng.randint(4, 19), rng.randint(6, 24), rng.randint(3, 40)
    name = rng.choice(NAMES)
    return (f"{name} plants {rows} rows of tulips with {per_row} tulips in each row. Rabbits eat {eaten} of the "
            f"tulips. How many tulips are left?", str(rows * per_row - eaten))


def fractions(rng: random.Random) -> Problem:
    a, b = rng.randint(1, 4), rng.choice((5, 6, 7, 8, 9))
    c, d = rng.randint(1, 3), rng.choice((3, 4, 10, 12))
    total = Fraction(a, b) + Fraction(c, d)
    name = rng.choice(NAMES)
    return (f"{name} eats {a}/{b} of a cake in the morning and {c}/{d} of the cake in the evening. What fraction of "
            f"the cake has {name} eaten? Give the answer as a fraction in lowest terms.", latex_fraction(total))


def decimals(rng: random.Random) -> Problem:
    price, count, coupon = Fraction(rng.randint(120, 990), 100), rng.randint(2, 9), Fraction(rng.randint(1, 9), 2)
    total = price * count - coupon
    return (f"A notebook costs ${float(price):.2f}. How many dollars do {count} notebooks cost with a coupon worth "
            f"${float(coupon):.2f} off the total?", f"{float(total):.2f}".rstrip("0").rstrip("."))


def units(rng: random.Random) -> Problem:
    speed, hours = rng.choice((40, 45, 50, 60, 72, 80, 90)), rng.choice((Fraction(3, 2), 2, Fraction(5, 2), 3, 4))
    distance = speed * Fraction(hours)
    hours_text = f"{float(hours):g}"
    return (f"A train travels at a constant {speed} km/h for {hours_text} hours. How far does it travel?",
            f"{float(distance):g} km")


def percentages(rng: random.Random) -> Problem:
    whole = rng.choice((40, 50, 80, 200, 250, 400, 500))
    part = whole * rng.choice((5, 10, 12, 15, 20, 25, 30, 35, 40, 60, 75)) // 100
    return (f"In a school of {whole} students, {part} students walk to school. What percent of the students walk?",
            f"{float(Fraction(part * 100, whole)):g}\\%")


def radicals(rng: random.Random) -> Problem:
    outside, inside = rng.randint(2, 9), rng.choice((2, 3, 5, 6, 7))
    return (f"Simplify $\\sqrt{{{outside * outside * inside}}}$ completely.", f"{outside}\\sqrt{{{inside}}}")


def powers(rng: random.Random) -> Problem:
    base, exponent = rng.choice((2, 3, 5, 7)), rng.randint(3, 9)
    return (f"A bacteria colony multiplies by {base} every hour. Starting from one bacterium, how many are there "
            f"after {exponent} hours? Write the answer as a power.", f"{base}^{{{exponent}}}")


def two_roots(rng: random.Random) -> Problem:
    r1, r2 = rng.sample(range(-9, 10), 2)
    b, c = -(r1 + r2), r1 * r2
    poly = "x^2" + (f" {'+' if b > 0 else '-'} {abs(b)}x" if b else "") + (f" {'+' if c > 0 else '-'} {abs(c)}" if c
                                                                          else "")
    low, high = sorted((r1, r2))
    return (f"Find all real solutions of ${poly} = 0$.", f"{low}, {high}")


def intervals(rng: random.Random) -> Problem:
    a, b, c = rng.randint(2, 6), rng.randint(-9, 9), rng.randint(-9, 20)
    bound = Fraction(c - b, a)
    strict = rng.random() < 0.5
    sign, bracket = (">", "(") if strict else ("\\ge", "[")
    return (f"Solve the inequality ${a}x {'+' if b >= 0 else '-'} {abs(b)} {sign} {c}$. Give the answer in "
            "interval notation.", f"{bracket}{latex_fraction(bound)}, \\infty)")


def polynomial(rng: random.Random) -> Problem:
    a, b = rng.randint(1, 7), rng.randint(1, 7)
    return (f"Expand and simplify $(x + {a})(x + {b})$.", f"x^2 + {a + b}x + {a * b}")


def mixed_numbers(rng: random.Random) -> Problem:
    whole, num, den = rng.randint(1, 5), rng.randint(1, 3), rng.choice((4, 5, 8))
    cups = rng.randint(2, 4)
    total = (whole + Fraction(num, den)) * cups
    return (f"A recipe needs ${whole}\\frac{{{num}}}{{{den}}}$ cups of flour per batch. How many cups are needed "
            f"for {cups} batches?", latex_fraction(total))


def choice(rng: random.Random) -> Problem:
    sides = rng.randint(5, 12)
    right = (sides - 2) * 180
    options = sorted({right, right - 180, right + 180, sides * 180})
    letters = "ABCD"
    listed = "  ".join(f"({letters[i]}) {value}" for i, value in enumerate(options))
    return (f"What is the sum of the interior angles, in degrees, of a convex polygon with {sides} sides? {listed}",
            letters[options.index(right)])


def gcd_lcm(rng: random.Random) -> Problem:
    a, b = rng.randint(6, 60), rng.randint(6, 60)
    return (f"Two lighthouses flash every {a} and every {b} seconds. They flash together now. After how many "
            f"seconds do they next flash together?", str(a * b // math.gcd(a, b)))


KINDS: dict[str, Callable[[random.Random], Problem]] = {
    "integer": integers, "fraction": fractions, "decimal": decimals, "units": units, "percent": percentages,
    "radical": radicals, "power": powers, "two_roots": two_roots, "interval": intervals, "polynomial": polynomial,
    "mixed_number": mixed_numbers, "multiple_choice": choice, "lcm": gcd_lcm,
}


def problems(count: int, seed: int) -> list[dict[str, str]]:
    """``count`` problems cycling through every kind, numbers drawn from ``random.Random(seed)``, no problem twice
    while its template has new ones."""
    rng = random.Random(seed)
    kinds = list(KINDS.items())
    rows, seen = [], set()
    for index in range(count):
        kind, make = kinds[index % len(kinds)]
        for _ in range(50):  # a new problem where the template has one left
            instruction, gold = make(rng)
            if instruction not in seen:
                break
        seen.add(instruction)
        rows.append({"instruction": instruction, "golden_answer": gold, "source": f"dataflow_dagster_synth/{kind}"})
    return rows


def write(rows: list[dict[str, str]], path: Path) -> None:
    """One JSON object per line, UTF-8, ``\\n`` endings."""
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def main() -> None:
    """Write the full sample and the demo's first rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=312)
    parser.add_argument("--demo", type=int, default=13, help="rows of the demo file (one per kind)")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--out-dir", type=Path, default=SAMPLES)
    args = parser.parse_args()
    rows = problems(args.count, args.seed)
    write(rows, args.out_dir / "math_word_problems.jsonl")
    write(rows[: args.demo], args.out_dir / "math_demo.jsonl")


if __name__ == "__main__":
    main()
