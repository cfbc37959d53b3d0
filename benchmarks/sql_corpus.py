"""A deterministic corpus of generated ``(db_id, SQL)`` rows over the shipped databases, for ``make bench-sql``.

About 92% are working queries from 24 templates (filters, joins, grouping, ordering, subqueries) with drawn
constants, the rest what generated SQL gets wrong: unknown columns, syntax errors, unknown database ids and a few
writes. ``python -m benchmarks.sql_corpus --rows 100000 --out benchmarks/out/sql_100000.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

CITIES = ("Avonlea", "Brightwater", "Cedar", "Dunmore", "Eastport", "Fairhaven", "Harborview", "Lakeside")
TEMPLATES: dict[str, tuple[str, ...]] = {
    "bookstore": (
        "SELECT title, price FROM books WHERE price > {n50} ORDER BY price DESC LIMIT {k}",
        "SELECT genre, count(*) FROM books WHERE pages > {n500} GROUP BY genre",
        "SELECT T1.title FROM books AS T1 JOIN publishers AS T2 ON T1.publisher_id = T2.publisher_id "
        "WHERE T2.founded_year < {year}",
        "SELECT name FROM customers WHERE city = '{city}' AND joined_date > '{date}'",
        "SELECT avg(rating) FROM reviews WHERE book_id = {id500}",
        "SELECT count(*) FROM orders WHERE status = 'delivered' AND order_date BETWEEN '{date}' AND '2023-12-31'",
    ),
    "clinic": (
        "SELECT name FROM patients WHERE city = '{city}' AND sex = 'F'",
        "SELECT T2.name, count(*) FROM appointments AS T1 JOIN doctors AS T2 ON T1.doctor_id = T2.doctor_id "
        "WHERE T1.status = 'completed' GROUP BY T2.doctor_id ORDER BY count(*) DESC LIMIT {k}",
        "SELECT test_name, avg(value) FROM lab_results WHERE taken_on > '{date}' GROUP BY test_name",
        "SELECT count(*) FROM prescriptions WHERE days >= {k} AND medication_id = {id12}",
        "SELECT name FROM patients WHERE patient_id IN (SELECT patient_id FROM lab_results WHERE value > {n140})",
        "SELECT reason FROM appointments WHERE patient_id = {id600} ORDER BY scheduled_at",
    ),
    "transit": (
        "SELECT name FROM stops WHERE zone = 'B' AND wheelchair_access = {bit}",
        "SELECT count(*) FROM trips WHERE passengers > {n140} AND driver_id = {id80}",
        "SELECT T2.name, sum(T1.passengers) FROM trips AS T1 JOIN vehicles AS T3 ON T1.vehicle_id = T3.vehicle_id "
        "JOIN lines AS T2 ON T3.line_id = T2.line_id WHERE T1.trip_id < {id3000} GROUP BY T2.line_id",
        "SELECT severity, count(*) FROM incidents WHERE reported_at > '{date}' GROUP BY severity",
        "SELECT model, max(capacity) FROM vehicles GROUP BY model HAVING count(*) > {k}",
        "SELECT description FROM incidents WHERE trip_id = {id3000}",
    ),
    "university": (
        "SELECT name, salary FROM instructors WHERE salary > {salary} ORDER BY salary",
        "SELECT T1.title FROM courses AS T1 JOIN departments AS T2 ON T1.department_id = T2.department_id "
        "WHERE T2.department_id = {id7} AND T1.credits >= {k}",
        "SELECT grade, count(*) FROM enrollments WHERE year = {year20} GROUP BY grade",
        "SELECT name FROM students WHERE enrolled_year = {year20} AND home_city = '{city}'",
        "SELECT count(*) FROM enrollments WHERE course_id = {id120} AND term = 'fall'",
        "SELECT title FROM courses WHERE course_id NOT IN (SELECT course_id FROM prerequisites) LIMIT {k}",
    ),
}
BROKEN = (  # (share of all rows, db_id or None for the row's own, SQL)
    (0.04, None, "SELECT nonexistent_{k} FROM {table}"),
    (0.02, None, "SELEC * FORM {table} WHERE"),
    (0.01, "no_such_db_{k}", "SELECT 1"),
    (0.005, None, "DELETE FROM {table} WHERE 1 = {k}"),
    (0.005, None, "SELECT * FROM {table}; DROP TABLE {table}"),
)
TABLES = {"bookstore": "books", "clinic": "patients", "transit": "trips", "university": "students"}


def values(rng: random.Random) -> dict[str, object]:
    """Constants for one template."""
    year = rng.randrange(2019, 2024)
    return {"n50": rng.randrange(5, 60), "k": rng.randrange(1, 11), "n500": rng.randrange(80, 900),
            "year": rng.randrange(1890, 2015), "city": rng.choice(CITIES),
            "date": f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}", "id500": rng.randrange(1, 501),
            "id12": rng.randrange(1, 13), "n140": rng.randrange(60, 140), "id600": rng.randrange(1, 601),
            "bit": rng.randrange(2), "id80": rng.randrange(1, 81), "id3000": rng.randrange(1, 3001),
            "salary": rng.randrange(45_000, 160_000), "id7": rng.randrange(1, 8), "year20": rng.randrange(2016, 2025),
            "id120": rng.randrange(1, 121), "table": ""}


def rows(count: int, seed: int = 0) -> list[dict[str, str]]:
    """``count`` rows, the same for the same seed."""
    rng = random.Random(seed)
    db_ids = sorted(TEMPLATES)
    found = []
    for _ in range(count):
        db_id = rng.choice(db_ids)
        drawn = values(rng) | {"table": TABLES[db_id]}
        roll, sql = rng.random(), None
        for share, bad_db, template in BROKEN:
            if roll < share:
                sql = template.format(**drawn)
                db_id = bad_db.format(**drawn) if bad_db else db_id
                break
            roll -= share
        found.append({"db_id": db_id, "SQL": sql or rng.choice(TEMPLATES[db_id]).format(**drawn)})
    return found


def main() -> None:
    """Write the corpus as JSONL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for row in rows(args.rows, args.seed):
            handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
