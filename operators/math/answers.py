"""Final answers in math text: the last ``\\boxed{}`` (nested braces, nested boxes), an "answer is" phrase, the
last number; and the light normalisation that exact comparison and voting use. Pure string work, no CAS."""

from __future__ import annotations

import re
from fractions import Fraction

BOX_COMMANDS = ("\\boxed", "\\fbox")
ANSWER_PHRASE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*(?P<answer>[^\n]+)", re.IGNORECASE)
LAST_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?(?:\s*/\s*\d+)?")
PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?$")
LATEX_FRACTION = re.compile(r"^([+-]?)\\frac(?:\{(\d+)\}|(\d))(?:\{(\d+)\}|(\d))$")
CHOICE = re.compile(r"^\(?([A-E])\)?\.?$")
NOISE = ("\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "\\displaystyle", "$", " ")


class BoxedError(ValueError):
    """A ``\\boxed`` whose braces never close."""


def _box_starts(text: str) -> list[tuple[int, int]]:
    """(start, end of the command name) of every ``\\boxed`` / ``\\fbox`` in ``text``."""
    found = []
    for command in BOX_COMMANDS:
        start = text.find(command)
        while start != -1:
            end = start + len(command)
            if end >= len(text) or not text[end].isalpha():  # not \boxedfoo
                found.append((start, end))
            start = text.find(command, end)
    return sorted(found)


def _braced(text: str, open_at: int) -> str:
    """The content of the brace group opening at ``text[open_at]`` (``{``), nested groups included."""
    depth, index = 0, open_at
    while index < len(text):
        char = text[index]
        if char == "\\":  # an escaped character (\{ and \} are content, not grouping)
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1: index]
        index += 1
    raise BoxedError("unbalanced braces after \\boxed")


def last_boxed(text: str | None) -> str | None:
    """The content of the last top-level ``\\boxed{…}`` in ``text`` (a box directly wrapping another unwrapped),
    or None without one. ``\\boxed 5`` (no braces) gives ``5``. Raises ``BoxedError`` when the last box's braces
    never close."""
    if not text:
        return None
    content, after = None, 0
    for start, end in _box_starts(text):
        if start < after:
            continue  # a box inside the previous top-level box
        rest = text[end:]
        stripped = rest.lstrip()
        if stripped.startswith("{"):
            open_at = end + len(rest) - len(stripped)
            content = _braced(text, open_at)
            after = open_at + len(content) + 2
        else:
            content = re.split(r"[\s$]", stripped, maxsplit=1)[0] if stripped else ""
            after = end
    if content is None:
        return None
    inner = content.strip()
    while inner.startswith(BOX_COMMANDS):  # \boxed{\boxed{x}} -> x
        unwrapped = last_boxed(inner)
        if unwrapped is None or unwrapped == inner:
            break
        inner = unwrapped.strip()
    return inner


def final_answer(text: str | None, require_boxed: bool = False) -> str | None:
    """The final answer of a solution: the last box; else (unless ``require_boxed``) the last "answer is …"
    phrase, else the last number. None when nothing is found (or the last box never closes)."""
    if not text or not text.strip():
        return None
    try:
        boxed = last_boxed(text)
    except BoxedError:
        return None
    if boxed is not None or require_boxed:
        return boxed or None
    phrases = list(ANSWER_PHRASE.finditer(text))
    if phrases:
        answer = phrases[-1].group("answer").strip().rstrip(".").strip().strip("$").strip()
        if answer:
            return answer
    numbers = LAST_NUMBER.findall(text)
    return numbers[-1].replace(",", "").replace(" ", "") if numbers else None


def normalized(answer: str | None) -> str:
    """``answer`` without math delimiters, sizing commands, spaces and a trailing full stop; ``\\dfrac`` and
    ``\\tfrac`` as ``\\frac``; ``\\text{…}`` unwrapped. Two answers equal after this are the same answer."""
    if answer is None:
        return ""
    text = answer.strip()
    try:
        boxed = last_boxed(text)
    except BoxedError:
        boxed = None
    if boxed is not None and text.startswith(BOX_COMMANDS):
        text = boxed
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    text = re.sub(r"\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}", r"\1", text)
    for noise in NOISE:
        text = text.replace(noise, "")
    return text.rstrip(".")


def plain_number(text: str) -> Fraction | None:
    """The exact value of a plain integer, decimal, ``a/b`` or ``\\frac{a}{b}`` (after ``normalized``), else None."""
    fraction = LATEX_FRACTION.match(text)
    if fraction:
        sign, numerator, denominator = fraction.group(1), fraction.group(2) or fraction.group(3), (
            fraction.group(4) or fraction.group(5))
        text = f"{sign}{numerator}/{denominator}"
    elif not PLAIN_NUMBER.match(text):
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def choice_letter(text: str | None) -> str | None:
    """The letter of a multiple-choice answer (``B``, ``(B)``, ``B.``), else None."""
    match = CHOICE.match(normalized(text)) if text else None
    return match.group(1) if match else None
