"""Clean English web articles built from topic vocabularies and sentence templates."""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.corpus_rand import Rand
from benchmarks.corpus_vocab import (
    ADVERBIALS,
    ANSWERS,
    CONNECTORS,
    EVALS,
    FIRST,
    GENERIC_VERBS,
    LAST,
    MONTHS,
    OUTCOMES,
    REPORT_VERBS,
    RESULTS,
    ROLES,
    SMALL_WORDS,
    SOURCES,
    SUPERLATIVES,
    TIMES,
    TOPICS,
    Topic,
)

MODALS = ["can", "should", "often", "rarely", "usually", "will", "could", "might", "tend to", "now"]
PURE_MODALS = ["can", "will", "may", "could", "should", "might"]
ADVICE = ["start small", "it helps to ask for advice first", "do not forget to {action} as well",
          "talk to {people} who have done it before", "give yourself more time than you think"]
QUOTE_ENDS = ["and never looked back", "and it made a real difference", "and we would do it again",
              "but it was harder than we expected", "and the whole family noticed"]
FOR_MANY = ["a favourite part of the week", "a way to relax", "more about habit than skill",
            "a source of quiet pride", "harder than it looks", "a good reason to get outside"]
CITIES = ["Leeds", "Portland", "Lyon", "Denver", "Cork", "Toronto", "Melbourne", "Austin", "Bristol", "Utrecht"]


def cap(text: str) -> str:
    """Upper-case the first character."""
    return text[:1].upper() + text[1:]


def title_case(text: str) -> str:
    """Headline case: capitalise every word except short function words (the first word always)."""
    words = text.split()
    return " ".join(w if i and w in SMALL_WORDS else cap(w) for i, w in enumerate(words))


def person(r: Rand) -> str:
    """A full name."""
    return f"{r.pick(FIRST)} {r.pick(LAST)}"


def _act(r: Rand, t: Topic) -> tuple[str, str, str]:
    """(verb base, verb past, object) that fit together: a topic action, sometimes a generic verb."""
    if r.chance(0.85):
        base, past, objects = r.pick(t["actions"])
        return base, past, r.pick(objects)
    base, past = r.pick(GENERIC_VERBS)
    return base, past, r.pick(t["things"])


def _base(r: Rand, t: Topic) -> str:
    base, _, obj = _act(r, t)
    return f"{base} {obj}"


def _past(r: Rand, t: Topic) -> str:
    _, past, obj = _act(r, t)
    return f"{past} {obj}"


def _s_modal(r: Rand, t: Topic) -> str:
    body = f"{r.pick(t['people'])} {r.pick(MODALS)} {_base(r, t)} {r.pick(ADVERBIALS)}."
    return f"{r.pick(CONNECTORS)} {body}" if r.chance(0.3) else cap(body)


def _s_past(r: Rand, t: Topic) -> str:
    return cap(f"{r.pick(t['people'])} {_past(r, t)} {r.pick(TIMES)}, and the results {r.pick(RESULTS)}.")


def _s_according(r: Rand, t: Topic) -> str:
    return (f"According to {r.pick(SOURCES)}, {r.pick(t['activities'])} is one of the {r.pick(SUPERLATIVES)} "
            f"ways to {_base(r, t)}.")


def _s_if(r: Rand, t: Topic) -> str:
    advice = r.pick(ADVICE).format(action=_base(r, t), people=r.pick(t["people"]))
    return f"If you want to {_base(r, t)}, {advice}."


def _s_quote(r: Rand, t: Topic) -> str:
    return (f"\"We {_past(r, t)} {r.pick(TIMES)} {r.pick(QUOTE_ENDS)},\" "
            f"{r.pick(REPORT_VERBS[:2])} {person(r)}, {r.pick(ROLES)}.")


def _s_name(r: Rand, t: Topic) -> str:
    return f"{person(r)} {_past(r, t)} {r.pick(TIMES)} and {_past(r, t)} {r.pick(ADVERBIALS)}."


def _s_eval(r: Rand, t: Topic) -> str:
    return f"It is {r.pick(EVALS)} to {_base(r, t)} {r.pick(ADVERBIALS)}."


def _s_activity(r: Rand, t: Topic) -> str:
    return cap(f"{r.pick(t['activities'])} {r.pick(PURE_MODALS)} {r.pick(OUTCOMES)}.")


def _s_percent(r: Rand, t: Topic) -> str:
    return (f"About {r.between(5, 90)} percent of {r.pick(t['people'])} {_past(r, t)} {r.pick(TIMES)}, "
            f"according to {r.pick(SOURCES)}.")


def _s_report(r: Rand, t: Topic) -> str:
    return (f"Most {r.pick(t['people'])} {r.pick(REPORT_VERBS)} that {r.pick(t['people'])} "
            f"{r.pick(PURE_MODALS)} {_base(r, t)} {r.pick(ADVERBIALS)}.")


def _s_question(r: Rand, t: Topic) -> str:
    return f"Why do {r.pick(t['people'])} {_base(r, t)}? {r.pick(ANSWERS)}"


def _s_year(r: Rand, t: Topic) -> str:
    return f"In {r.between(1998, 2024)}, {r.pick(t['people'])} in {r.pick(CITIES)} {_past(r, t)} for the first time."


def _s_for_many(r: Rand, t: Topic) -> str:
    return f"For many {r.pick(t['people'])}, {r.pick(t['activities'])} is {r.pick(FOR_MANY)}."


def _s_compare(r: Rand, t: Topic) -> str:
    first, second = r.sample(t["activities"], 2)
    return f"Compared with {first}, {second} {r.pick(PURE_MODALS)} take less time and cost less."


def _s_short(r: Rand, t: Topic) -> str:
    return cap(f"{r.pick(t['people'])} {_past(r, t)}.")


TEMPLATES: list[Callable[[Rand, Topic], str]] = [
    _s_modal, _s_modal, _s_past, _s_according, _s_if, _s_quote, _s_name, _s_eval, _s_activity, _s_activity,
    _s_percent, _s_report, _s_question, _s_year, _s_for_many, _s_compare, _s_short, _s_short,
]


def sentence(r: Rand, topic: Topic) -> str:
    """One sentence (occasionally two, for question-and-answer templates) about the topic."""
    return r.pick(TEMPLATES)(r, topic)


def title(r: Rand, t: Topic) -> str:
    """A headline for an article about the topic."""
    kind = r.below(6)
    if kind == 0:
        return title_case(f"how to {_base(r, t)}")
    if kind == 1:
        return title_case(f"{r.between(3, 12)} tips for {r.pick(t['activities'])}")
    if kind == 2:
        return title_case(f"why {r.pick(t['people'])} are rethinking {r.pick(t['activities'])}")
    if kind == 3:
        return title_case(f"what we learned from {r.pick(t['activities'])}")
    if kind == 4:
        return title_case(f"a beginner's guide to {r.pick(t['activities'])}")
    return title_case(f"{r.pick(t['people'])} share their advice on {r.pick(t['activities'])}")


def paragraphs(r: Rand, topic: Topic, n_sentences: int) -> list[str]:
    """n sentences grouped into paragraphs of 2 to 6 sentences."""
    out, left = [], n_sentences
    while left > 0:
        size = min(left, r.between(2, 6))
        out.append(" ".join(sentence(r, topic) for _ in range(size)))
        left -= size
    return out


def article_sentences(r: Rand) -> int:
    """Sentence count: lognormal 3..40 (median 8), with a 1.5% long tail of 40..230 (up to ~20 KB)."""
    if r.chance(0.015):
        return r.between(40, 230)
    return r.lognormal_int(8.0, 0.55, 3, 40)


def article(r: Rand, topic: Topic | None = None, n_sentences: int | None = None) -> str:
    """A clean multi-paragraph article: optional headline, byline and date, then paragraphs."""
    topic = topic or r.pick(TOPICS)
    n = n_sentences if n_sentences is not None else article_sentences(r)
    head = []
    if r.chance(0.8):
        head.append(title(r, topic))
    if r.chance(0.3):
        head.append(f"By {person(r)}")
    if r.chance(0.2):
        head.append(f"Published {r.pick(MONTHS)} {r.between(1, 28)}, {r.between(2008, 2024)}")
    body = paragraphs(r, topic, n)
    return "\n".join(head) + ("\n\n" if head else "") + "\n\n".join(body)
