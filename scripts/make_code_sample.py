"""Make the code samples (deterministic): ``data/samples/code_files.jsonl`` and ``data/samples/code_functions.jsonl``.

``code_files``: 300 source files in DataFlow's pretraining-filter row shape (``text``, ``lines``, ``filename``,
``filetype``, ``language``, ``file_path``), in Python, JavaScript, Go, Rust, Java, C, HTML, JSON, YAML and plain
text, among them files with generated-file headers, minified one-liners, base64 and hex blobs, licence-only files,
repetitive files and stray text files. ``code_functions``: 40 small Python functions with HumanEval-style tests
(``code``, ``raw_code``, ``test`` defining ``check(candidate)``, ``entry_point``), three of them deliberately wrong;
``code_sft_demo``: four of them for ``make demo-code``, the last without tests.

Run: ``.venv/bin/python scripts/make_code_sample.py``.
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "samples"
NOUNS = ["order", "invoice", "sensor", "ticket", "route", "budget", "patient", "course", "station", "parcel",
         "account", "reading", "booking", "shipment", "vendor", "report", "meter", "lesson", "review", "claim"]
VERBS = ["load", "parse", "merge", "score", "filter", "update", "render", "validate", "summarise", "rank"]
LICENCE = ("Copyright (c) {year} The {noun} project authors.\n\nPermission is hereby granted, free of charge, to any "
           "person obtaining a copy of this software and associated documentation files, to deal in the software "
           "without restriction, subject to the following conditions: the above copyright notice and this "
           "permission notice shall be included in all copies or substantial portions of the software.\n\nTHE "
           "SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.")


def python_file(rng: random.Random, noun: str, verb: str) -> str:
    fields = rng.sample(["name", "amount", "created", "status", "owner", "weight", "city", "score"], 3)
    body = [f'"""Helpers to {verb} {noun} records read from CSV exports."""', "", "import csv", "", "",
            f"def {verb}_{noun}s(path):", f'    """Return the {noun} rows of the file at ``path`` as dicts."""',
            "    with open(path, newline='') as handle:", "        rows = list(csv.DictReader(handle))",
            f"    return [row for row in rows if row.get('{fields[0]}')]", "", "",
            f"def total_{fields[1]}(rows):", f'    """Sum the {fields[1]} column, skipping blanks."""',
            f"    return sum(float(row['{fields[1]}']) for row in rows if row.get('{fields[1]}'))", "", "",
            f"def by_{fields[2]}(rows):", f'    """Group rows by their {fields[2]} value."""', "    groups = {}",
            "    for row in rows:", f"        groups.setdefault(row.get('{fields[2]}'), []).append(row)",
            "    return groups"]
    return "\n".join(body) + "\n"


def javascript_file(rng: random.Random, noun: str, verb: str) -> str:
    limit = rng.randint(5, 50)
    return (f"// {verb} {noun} entries in the browser table view\n"
            f"export function {verb}{noun.title()}s(items, limit = {limit}) {{\n"
            f"  const visible = items.filter((item) => item.active);\n"
            f"  visible.sort((a, b) => a.updated - b.updated);\n"
            f"  return visible.slice(0, limit).map((item) => ({{ id: item.id, label: item.name }}));\n}}\n\n"
            f"export function count{noun.title()}s(items) {{\n  return items.reduce((n, item) => n + (item.active ? 1"
            f" : 0), 0);\n}}\n")


def go_file(rng: random.Random, noun: str, verb: str) -> str:
    return (f"package {noun}\n\nimport \"strings\"\n\n// {verb.title()} trims and lower-cases each {noun} name and "
            f"drops empty ones.\nfunc {verb.title()}(names []string) []string {{\n\tout := make([]string, 0, "
            f"len(names))\n\tfor _, name := range names {{\n\t\tname = strings.ToLower(strings.TrimSpace(name))\n"
            f"\t\tif name != \"\" {{\n\t\t\tout = append(out, name)\n\t\t}}\n\t}}\n\treturn out\n}}\n")


def rust_file(rng: random.Random, noun: str, verb: str) -> str:
    return (f"/// Average {noun} value over a window of {rng.randint(2, 9)} readings.\n"
            f"pub fn {verb}_{noun}(values: &[f64], window: usize) -> Vec<f64> {{\n"
            f"    values\n        .windows(window)\n        .map(|w| w.iter().sum::<f64>() / window as f64)\n"
            f"        .collect()\n}}\n")


def java_file(rng: random.Random, noun: str, verb: str) -> str:
    cls = noun.title() + "Service"
    return (f"package com.example.{noun};\n\nimport java.util.List;\n\n/** Service that can {verb} {noun} records. */"
            f"\npublic class {cls} {{\n    private final List<String> names;\n\n    public {cls}(List<String> names) "
            f"{{\n        this.names = names;\n    }}\n\n    /** How many names start with the prefix. */\n"
            f"    public long countWithPrefix(String prefix) {{\n        return names.stream().filter(n -> "
            f"n.startsWith(prefix)).count();\n    }}\n}}\n")


def c_file(rng: random.Random, noun: str, verb: str) -> str:
    return (f"#include <stddef.h>\n\n/* {verb} the {noun} buffer: clamp every value into [lo, hi]. */\n"
            f"void {verb}_{noun}(int *values, size_t n, int lo, int hi) {{\n    for (size_t i = 0; i < n; i++) {{\n"
            f"        if (values[i] < lo) values[i] = lo;\n        if (values[i] > hi) values[i] = hi;\n    }}\n}}\n")


def html_file(rng: random.Random, noun: str, verb: str, visible: bool) -> str:
    if visible:
        para = " ".join(rng.choice(NOUNS + VERBS) for _ in range(60))
        return (f"<html>\n<head><title>{noun.title()} guide</title></head>\n<body>\n<h1>How to {verb} a {noun}</h1>\n"
                f"<p>{para}</p>\n<p>Contact the {noun} desk for help with anything on this page.</p>\n</body>\n"
                f"</html>\n")
    scripts = "\n".join(f"<script src=\"/static/{noun}{i}.js\"></script>" for i in range(12))
    return (f"<html>\n<head>\n{scripts}\n<style>.a{{color:red}}</style>\n</head>\n"
            "<body><div id=\"app\"></div></body>\n</html>\n")


GENERATED_HEADERS = ["# Code generated by protoc-gen-py. DO NOT EDIT.", "// This file is auto-generated by "
                     "openapi-generator; changes will be lost.", "/* Automatically generated by SWIG 4.1. */",
                     "# -*- This file was generated by the migration tool, do not edit. -*-"]
LANGUAGES = {"py": ("Python", python_file), "js": ("JavaScript", javascript_file), "go": ("Go", go_file),
             "rs": ("Rust", rust_file), "java": ("Java", java_file), "c": ("C", c_file)}


def row(name: str, filetype: str, language: str, text: str) -> dict[str, object]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    return {"file_path": f"/repo/{name}", "filename": name.rsplit("/", 1)[-1], "filetype": filetype,
            "language": language, "text": text, "lines": lines}


def code_files(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for i in range(300):
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        ext = rng.choice(list(LANGUAGES))
        language, make = LANGUAGES[ext]
        kind = i % 15
        if kind == 0:  # a generated-file header
            text = rng.choice(GENERATED_HEADERS) + "\n" + make(rng, noun, verb)
        elif kind == 1:  # minified: the whole file on one line
            text = make(rng, noun, verb).replace("\n", " ") * 4 + "\n"
        elif kind == 2:  # a base64 blob
            blob = base64.b64encode(rng.randbytes(900)).decode()
            if i % 2:  # wrapped at 76 columns, as encoders write it
                blob = "\n".join(blob[k:k + 76] for k in range(0, len(blob), 76))
            text = f"ICON = \"\"\"\n{blob}\n\"\"\"\n" if ext == "py" else f"const ICON = `{blob}`;\n"
        elif kind == 3:  # a hex byte table
            data = ",\n    ".join(", ".join(f"0x{b:02x}" for b in rng.randbytes(12)) for _ in range(30))
            text = f"static const unsigned char FIRMWARE[] = {{\n    {data}\n}};\n"
            ext, language = "c", "C"
        elif kind == 4:  # a licence and nothing else
            text = "\n".join("# " + line if line else "#" for line in LICENCE.format(
                year=2000 + i % 24, noun=noun).split("\n")) + "\n"
            ext, language = "py", "Python"
        elif kind == 5:  # repetitive
            text = f"def {verb}():\n" + f"    print('{noun}')\n" * 40
            ext, language = "py", "Python"
        elif kind == 6:  # a data file: JSON, too long
            text = "[\n" + ",\n".join(json.dumps({"id": k}) for k in range(rng.choice([40, 600]))) + "\n]\n"
            rows.append(row(f"data/{noun}_{i}.json", "JSON", "JSON", text))
            continue
        elif kind == 7:  # HTML with or without visible text
            text = html_file(rng, noun, verb, visible=i % 2 == 0)
            rows.append(row(f"site/{noun}_{i}.html", "HTML", "HTML", text))
            continue
        elif kind == 8:  # plain text: a README (kept by name) or a stray notes dump (dropped)
            words = " ".join(rng.choice(NOUNS + VERBS) for _ in range(80))
            name = "README.txt" if i % 2 else f"dump_{i}.txt"
            rows.append(row(f"docs/{i}/{name}", "Text", "Text", f"{noun.title()} tools\n\n{words}\n"))
            continue
        elif kind == 9:  # YAML config
            text = "\n".join(f"{noun}_{k}: {rng.randint(0, 9)}" for k in range(rng.choice([20, 700]))) + "\n"
            rows.append(row(f"config/{noun}_{i}.yaml", "YAML", "YAML", text))
            continue
        else:
            text = make(rng, noun, verb)
        rows.append(row(f"src/{noun}_{verb}_{i}.{ext}", language, language, text))
    return rows


FUNCTIONS = [  # (entry point, code, check body lines)
    ("add", "def add(a, b):\n    return a + b\n", ["assert candidate(2, 3) == 5", "assert candidate(-1, 1) == 0"]),
    ("is_palindrome", "def is_palindrome(s):\n    s = ''.join(c.lower() for c in s if c.isalnum())\n"
     "    return s == s[::-1]\n", ["assert candidate('A man, a plan, a canal: Panama')", "assert not candidate('ab')"]),
    ("fizzbuzz", "def fizzbuzz(n):\n    if n % 15 == 0:\n        return 'FizzBuzz'\n    if n % 3 == 0:\n"
     "        return 'Fizz'\n    if n % 5 == 0:\n        return 'Buzz'\n    return str(n)\n",
     ["assert candidate(15) == 'FizzBuzz'", "assert candidate(9) == 'Fizz'", "assert candidate(7) == '7'"]),
    ("count_vowels", "def count_vowels(text):\n    return sum(1 for c in text.lower() if c in 'aeiou')\n",
     ["assert candidate('Education') == 5", "assert candidate('xyz') == 0"]),
    ("flatten", "def flatten(items):\n    out = []\n    for item in items:\n        if isinstance(item, list):\n"
     "            out.extend(flatten(item))\n        else:\n            out.append(item)\n    return out\n",
     ["assert candidate([1, [2, [3]], 4]) == [1, 2, 3, 4]", "assert candidate([]) == []"]),
    ("gcd", "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return abs(a)\n",
     ["assert candidate(12, 18) == 6", "assert candidate(7, 5) == 1"]),
    ("running_max", "def running_max(values):\n    out, best = [], None\n    for v in values:\n"
     "        best = v if best is None or v > best else best\n        out.append(best)\n    return out\n",
     ["assert candidate([1, 3, 2, 5]) == [1, 3, 3, 5]", "assert candidate([]) == []"]),
    ("word_lengths", "def word_lengths(sentence):\n    return {w: len(w) for w in sentence.split()}\n",
     ["assert candidate('to be') == {'to': 2, 'be': 2}"]),
    ("chunk", "def chunk(items, size):\n    return [items[i:i + size] for i in range(0, len(items), size)]\n",
     ["assert candidate([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]"]),
    ("celsius", "def celsius(f):\n    return round((f - 32) * 5 / 9, 2)\n",
     ["assert candidate(212) == 100", "assert candidate(32) == 0"]),
]
WRONG = {"gcd": ("return abs(a)", "return abs(b)"), "celsius": ("(f - 32)", "(f - 30)"),
         "chunk": ("range(0, len(items), size)", "range(1, len(items), size)")}


def code_functions(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for k in range(40):
        entry, code, checks = FUNCTIONS[k % len(FUNCTIONS)]
        if k >= len(FUNCTIONS) and k // len(FUNCTIONS) == 3 and entry in WRONG:  # the last round: 3 wrong copies
            code = code.replace(*WRONG[entry])
        test = "def check(candidate):\n" + "".join(f"    {line}\n" for line in checks)
        rows.append({"id": f"fn_{k:03d}", "code": code, "raw_code": code, "test": test, "entry_point": entry})
    rng.shuffle(rows)
    return rows


def main() -> None:
    """Write both samples."""
    rng = random.Random(25)
    functions = code_functions(rng)
    demo = [dict(row) for row in functions[:4]]
    for row in demo[3:]:  # the demo's last function has no tests: the LLM writes asserts for it
        del row["test"], row["entry_point"]
    for name, rows in (("code_files.jsonl", code_files(rng)), ("code_functions.jsonl", functions),
                       ("code_sft_demo.jsonl", demo)):
        with open(OUT / name, "w", encoding="utf-8") as handle:
            for item in rows:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(f"{OUT / name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
