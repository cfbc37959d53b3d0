"""Articles with web debris: markup/emoji/URLs, HTML entities, PII, watermarks, mojibake, colon endings; and the
small edits that make near-duplicates."""

from __future__ import annotations

from benchmarks.corpus_english import article, person
from benchmarks.corpus_rand import Rand

EMOJI = ["\U0001F600", "\U0001F44D", "\U0001F525", "\U0001F389", "\U0001F60D", "\U0001F680", "\U0001F4A1",
         "\U0001F33F", "\u2728", "\U0001F602", "\U0001F64F", "\U0001F436"]
HOSTS = ["news.example.com", "blog.example.org", "shop.example.net", "forum.example.com", "www.example.edu"]
WATERMARKS = ["Copyright \u00a9 {y} {site}. All rights reserved.", "Confidential - for internal use only.",
              "This document is Confidential and may not be shared.", "Copyright {y} {site}",
              "Watermark: preview copy, not for distribution.", "\u00a9 {y} {site}. All rights reserved."]
SITES = ["Example Media Ltd", "Acme Publishing", "The Daily Example", "Sample News Group"]
COLON_ENDS = ["Here is what you will need:", "The full list is below:", "My question is:", "Update:",
              "Here are the details:", "Read the rest of the story below:", "What readers told us:"]
SYNONYMS = {"often": "frequently", "rarely": "seldom", "usually": "generally", "surprisingly": "remarkably",
            "simpler": "easier", "small": "little", "easy": "simple", "important": "essential",
            "last": "past", "first": "very first", "new": "brand-new", "old": "older", "better": "nicer",
            "about": "roughly", "most": "many", "local": "nearby", "can": "could", "will": "would"}
ADDED_LINES = ["Share this article", "Updated on {m}/{d}/{y}.", "Photo: {name}", "Reporting by {name}.",
               "Related: more stories like this.", "This article was first published in {y}."]


def url(r: Rand, topic_slug: str, doc_id: int) -> str:
    """A plausible (reserved example.*) page URL."""
    return f"https://{r.pick(HOSTS)}/{topic_slug}/{r.between(2008, 2024)}/{doc_id:07d}-{r.below(1 << 20):05x}"


def markup(r: Rand) -> str:
    """An article with HTML tags, links, bare URLs, emoji and stray whitespace (refiners can recover it)."""
    paras = article(r).split("\n\n")
    out = []
    for para in paras:
        words = para.split(" ")
        if r.chance(0.4) and len(words) > 6:
            i = r.below(len(words) - 3)
            words[i] = f'<a href="https://{r.pick(HOSTS)}/p/{r.below(99999)}">{words[i]}</a>'
        if r.chance(0.3):
            words.append(r.pick(EMOJI) * r.between(1, 3))
        if r.chance(0.3):
            i = r.below(len(words))
            words[i] = words[i] + "  "
        para = " ".join(words)
        out.append(f"<p>{para}</p>" if r.chance(0.6) else para)
    link = f"https://{r.pick(HOSTS)}/{r.below(99999)}"
    if r.chance(0.1):  # after URL removal this ends in "Source:", which the colon-end filter drops
        out.append(f"Source: {link}")
    elif r.chance(0.4):
        out.append(f"More stories like this at {link} every week.")
    return ("\n\n" if r.chance(0.7) else "\n \n").join(out)


def entities(r: Rand) -> str:
    """An article whose HTML entities were never decoded (&nbsp; &amp; &quot; ...)."""
    text = article(r)
    text = text.replace(" and ", " &amp; ", r.between(1, 3)).replace('"', "&quot;")
    words = text.split(" ")
    for _ in range(r.between(1, 4)):
        i = r.below(len(words))
        words[i] = words[i] + r.pick(["&nbsp;", "&nbsp;&nbsp;", "&mdash;", "&rsquo;s", "&hellip;"])
    return " ".join(words)


def _digits(r: Rand, n: int) -> str:
    return "".join(str(r.below(10)) for _ in range(n))


def pii(r: Rand) -> str:
    """A form or contact block with ID-card and phone numbers, sometimes inside an article."""
    lines = [f"Name: {person(r)}",
             f"ID number: {_digits(r, 6)}{r.between(1950, 2005)}{r.between(10, 12)}{r.between(10, 28)}{_digits(r, 4)}",
             f"Phone: +1 ({r.between(200, 989)}) 555-{_digits(r, 4)}",
             f"Identity card No: {r.pick('ABCDEFGH')}{_digits(r, 8)}",
             f"Email: {r.pick(['jane', 'j.doe', 'mike88', 'info'])}@example.com",
             f"Please bring your ID card and proof of identity. Call {r.between(200, 989)}-555-{_digits(r, 4)}."]
    block = "\n".join(r.sample(lines, r.between(3, 6)))
    return article(r) + "\n\n" + block if r.chance(0.5) else block


def watermark(r: Rand) -> str:
    """An article with a copyright or confidentiality notice at the top or bottom."""
    mark = r.pick(WATERMARKS).format(y=r.between(2000, 2024), site=r.pick(SITES))
    text = article(r)
    return f"{mark}\n\n{text}" if r.chance(0.3) else f"{text}\n\n{mark}"


def mojibake(r: Rand) -> str:
    """An article with decoding damage: U+FFFD replacement characters or UTF-8-as-Latin-1 sequences."""
    text = article(r)
    if r.chance(0.5) and ("'" in text or '"' in text):  # curly quotes read as Latin-1: no U+FFFD, still broken
        return text.replace("'", "\u00e2\u20ac\u2122").replace('"', "\u00e2\u20ac\u0153", 1)
    chars = list(text)
    for _ in range(r.between(1, 6)):
        chars[r.below(len(chars))] = r.pick(["\ufffd", "\ufffd\ufffd", "\u25a1"])
    return "".join(chars)


def colon_end(r: Rand) -> str:
    """A post cut off after an introductory line ending with a colon."""
    return article(r, n_sentences=r.between(3, 6)) + "\n\n" + r.pick(COLON_ENDS)


def near_duplicate(r: Rand, text: str) -> str:
    """A small word-level edit of text: synonym swaps, a dropped or added line, a changed number."""
    original, lines = text, text.split("\n")
    edits = r.between(1, 3)
    for _ in range(edits):
        kind = r.below(4)
        if kind == 0:  # swap words for synonyms
            words = text.split(" ")
            hits = [i for i, w in enumerate(words) if w in SYNONYMS]
            for i in r.sample(hits, r.between(1, 3)):
                words[i] = SYNONYMS[words[i]]
            text = " ".join(words)
        elif kind == 1:  # add a line of page furniture
            extra = r.pick(ADDED_LINES).format(m=r.between(1, 12), d=r.between(1, 28), y=r.between(2010, 2024),
                                               name=person(r))
            text = text + "\n" + extra if r.chance(0.7) else extra + "\n" + text
        elif kind == 2 and len(lines) > 3:  # drop a short line (headline, byline, date) or one sentence
            short = [i for i, line in enumerate(lines) if line.strip() and len(line) < 100]
            if short:
                drop = r.pick(short)
                text = "\n".join(line for i, line in enumerate(lines) if i != drop)
            else:
                sentences = text.split(". ")
                if len(sentences) > 4:
                    del sentences[r.below(len(sentences) - 1) + 1]
                text = ". ".join(sentences)
        else:  # change a digit, or append a short sentence
            digits = [i for i, c in enumerate(text) if c.isdigit()]
            if digits:
                i = r.pick(digits)
                text = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]
            else:
                text = text.rstrip() + " " + r.pick(["Thanks for reading.", "More soon.", "Comments are open."])
        lines = text.split("\n")
    return text if text != original else original + "\nShare this article"
