"""SQLComponentClassifier against Spider's official hardness, on hand-written queries over the shipped databases.

Every query is in the grammar Spider's own parser reads (JOIN … ON, AS aliases, the five aggregates, no other
functions), and each expected class was worked out by hand from Spider's ``evaluation.py`` rules; the comment
gives the three counts (c1: component 1, c2: nested, o: others). Aggregates counted the way Spider's code counts
them: SELECT items, ORDER BY operands, negated WHERE conditions, HAVING's connectors (never HAVING's own
aggregate). Every query is also run on its database, so the table is real SQL.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest

from operators.base import OperatorContext
from operators.sql.component import SQLComponentClassifier
from operators.sql.hardness import CLASSES, spider_hardness
from resources.sql import SQLDatabaseResource
from tests.conftest import REPO

NOT_IN = "SELECT title FROM books WHERE book_id NOT IN (SELECT book_id FROM reviews)"
J_PUB = "JOIN publishers AS T2 ON T1.publisher_id = T2.publisher_id"
TABLE: list[tuple[str, str, str]] = [  # (db_id, SQL, Spider's class)
    # easy: c1 <= 1, o = 0, c2 = 0
    ("bookstore", "SELECT count(*) FROM books", "easy"),  # c1 0
    ("bookstore", "SELECT title FROM books WHERE price > 50", "easy"),  # c1 1 (where)
    ("bookstore", "SELECT name FROM publishers ORDER BY founded_year", "easy"),  # c1 1 (order)
    ("bookstore", "SELECT DISTINCT genre FROM books", "easy"),
    ("bookstore", "SELECT avg(price) FROM books WHERE genre = 'poetry'", "easy"),  # one aggregate
    ("bookstore", "SELECT max(pages) FROM books", "easy"),
    ("bookstore", "SELECT name FROM authors WHERE country != 'France'", "easy"),
    ("clinic", "SELECT name FROM patients WHERE city = 'Avonlea'", "easy"),
    ("clinic", "SELECT count(*) FROM appointments WHERE status = 'cancelled'", "easy"),
    ("clinic", "SELECT name FROM medications ORDER BY unit_cost DESC", "easy"),
    ("transit", "SELECT name FROM stops WHERE wheelchair_access = 1", "easy"),
    ("transit", "SELECT * FROM lines", "easy"),
    ("transit", "SELECT count(DISTINCT model) FROM vehicles", "easy"),
    ("transit", "SELECT sum(passengers) FROM trips WHERE vehicle_id = 3", "easy"),
    ("university", "SELECT name FROM students WHERE enrolled_year BETWEEN 2018 AND 2020", "easy"),  # one condition
    ("university", "SELECT min(salary) FROM instructors", "easy"),
    # HAVING's aggregate is not counted, and neither is its single condition: c1 1 (group), o 0
    ("bookstore", "SELECT genre FROM books GROUP BY genre HAVING count(*) > 10", "easy"),
    # two HAVING conditions: the AND connector counts as one aggregate (1 is not > 1): still easy
    ("bookstore", "SELECT genre FROM books GROUP BY genre HAVING count(*) > 10 AND avg(price) > 20", "easy"),
    # medium: c2 = 0 and (o <= 2 and c1 <= 1, or c1 <= 2 and o < 2)
    ("bookstore", "SELECT title, price FROM books WHERE genre = 'fiction'", "medium"),  # c1 1, o 1 (2 items)
    ("bookstore", "SELECT genre, count(*) FROM books GROUP BY genre", "medium"),  # c1 1, o 1
    ("bookstore", f"SELECT T1.title FROM books AS T1 {J_PUB} WHERE T2.country = 'Japan'", "medium"),  # c1 2, o 0
    ("bookstore", "SELECT title FROM books ORDER BY price DESC LIMIT 5", "medium"),  # c1 2
    ("bookstore", "SELECT max(price), min(price) FROM books", "medium"),  # c1 0, o 2 (aggregates, items)
    ("bookstore", "SELECT max(price), min(price), avg(price) FROM books WHERE genre = 'travel'", "medium"),  # c1 1 o 2
    ("bookstore", "SELECT title FROM books WHERE genre != 'poetry' AND title NOT LIKE 'The%'", "medium"),  # c1 2 o 1
    ("bookstore", "SELECT count(*) FROM books WHERE title NOT LIKE 'The%'", "medium"),  # c1 2, o 1 (aggs 1 + NOT)
    ("bookstore", "SELECT name FROM authors WHERE birth_year BETWEEN 1950 AND 1960 AND country = 'Kenya'", "medium"),
    ("clinic", "SELECT name FROM patients WHERE city = 'Avonlea' AND sex = 'F'", "medium"),  # c1 1, o 1
    ("clinic", "SELECT name FROM patients WHERE city = 'Avonlea' OR city = 'Eastport'", "medium"),  # c1 2, o 1
    ("clinic", "SELECT T2.name FROM appointments AS T1 JOIN doctors AS T2 ON T1.doctor_id = T2.doctor_id "
               "WHERE T1.appointment_id = 5", "medium"),  # c1 2 (where, join)
    ("clinic", "SELECT count(*) FROM lab_results WHERE test_name = 'glucose' AND value > 120", "medium"),
    ("clinic", "SELECT T1.name, T2.name FROM doctors AS T1 JOIN departments AS T2 "
               "ON T1.department_id = T2.department_id", "medium"),  # c1 1 (join), o 1
    ("transit", "SELECT name FROM drivers WHERE name LIKE 'A%' AND home_zone = 'B'", "medium"),  # c1 2 (like), o 1
    ("transit", "SELECT severity, count(*) FROM incidents GROUP BY severity", "medium"),
    ("university", "SELECT title FROM courses WHERE title LIKE '%Lab%'", "medium"),  # c1 2 (where, like)
    ("university", "SELECT name FROM instructors WHERE salary > 100000 ORDER BY salary", "medium"),  # c1 2
    ("university", "SELECT department_id, avg(salary) FROM instructors GROUP BY department_id", "medium"),
    ("university", "SELECT count(*) FROM enrollments WHERE year = 2020 AND term = 'fall' AND grade = 'A'", "medium"),
    ("university", "SELECT T1.title FROM courses AS T1 JOIN prerequisites AS T2 ON T1.course_id = T2.prerequisite_id "
                   "GROUP BY T2.prerequisite_id HAVING count(*) >= 2", "medium"),  # c1 2 (group, join), o 0
    # hard: c2 = 0 and (o > 2, c1 <= 2 or 2 < c1 <= 3, o <= 2), or c1 <= 1, o = 0, c2 <= 1
    ("bookstore", NOT_IN, "hard"),  # c1 1, c2 1, o 0 (one aggregate: the NOT)
    ("bookstore", "SELECT name FROM authors UNION SELECT name FROM customers", "hard"),  # c1 0, c2 1
    ("bookstore", "SELECT title FROM books WHERE price > (SELECT avg(price) FROM books)", "hard"),  # c1 1, c2 1
    ("bookstore", "SELECT genre, count(*) FROM books GROUP BY genre HAVING count(*) > 10 "
                  "ORDER BY count(*) DESC LIMIT 3", "hard"),  # c1 3 (group, order, limit), o 2
    ("bookstore", "SELECT T1.name FROM customers AS T1 JOIN orders AS T2 ON T1.customer_id = T2.customer_id "
                  "JOIN order_items AS T3 ON T2.order_id = T3.order_id WHERE T3.quantity = 3", "hard"),  # c1 3
    ("bookstore", "SELECT genre, max(price), min(price) FROM books WHERE pages > 300 AND language = 'en' "
                  "GROUP BY genre", "hard"),  # c1 2, o 3 (aggregates, items, conditions)
    ("bookstore", "SELECT title FROM books WHERE genre = 'poetry' OR genre = 'history' ORDER BY price",
     "hard"),  # c1 3 (where, or, order), o 1
    # ORDER BY after a set operation belongs to its last SELECT: c1 1, c2 1, o 0
    ("bookstore", "SELECT name FROM authors WHERE country = 'Japan' UNION SELECT name FROM customers "
                  "WHERE city = 'Avonlea' ORDER BY name", "hard"),
    ("clinic", "SELECT name FROM patients WHERE patient_id IN (SELECT patient_id FROM lab_results "
               "WHERE flag = 'high')", "hard"),  # c1 1, c2 1
    ("clinic", "SELECT name FROM medications WHERE medication_id NOT IN (SELECT medication_id FROM prescriptions)",
     "hard"),
    ("clinic", "SELECT insurance, count(*) FROM patients GROUP BY insurance ORDER BY count(*) DESC LIMIT 1",
     "hard"),  # c1 3, o 2
    ("clinic", "SELECT min(value), max(value), avg(value) FROM lab_results WHERE test_name = 'sodium' "
               "AND flag = 'high'", "hard"),  # c1 1, o 3
    ("transit", "SELECT name FROM stops EXCEPT SELECT T1.name FROM stops AS T1 JOIN line_stops AS T2 "
                "ON T1.stop_id = T2.stop_id", "hard"),  # c1 0, c2 1
    ("transit", "SELECT count(*) FROM trips WHERE passengers > (SELECT avg(passengers) FROM trips)", "hard"),
    ("transit", "SELECT T2.name FROM vehicles AS T1 JOIN lines AS T2 ON T1.line_id = T2.line_id "
                "ORDER BY T1.capacity DESC LIMIT 1", "hard"),  # c1 3 (order, limit, join), o 0
    ("university", "SELECT name FROM students WHERE department_id = 1 INTERSECT SELECT T1.name FROM students AS T1 "
                   "JOIN enrollments AS T2 ON T1.student_id = T2.student_id WHERE T2.grade = 'A'", "hard"),
    ("university", "SELECT T1.name FROM students AS T1 JOIN enrollments AS T2 ON T1.student_id = T2.student_id "
                   "JOIN courses AS T3 ON T2.course_id = T3.course_id WHERE T3.credits = 6 AND T2.grade = 'A'",
     "hard"),  # c1 3, o 1
    # extra: everything else
    ("bookstore", f"SELECT T1.title, T1.price FROM books AS T1 {J_PUB} WHERE T2.country = 'Japan' "
                  "AND T1.price > 30", "extra"),  # c1 2, o 2
    ("bookstore", "SELECT title FROM books WHERE price > (SELECT avg(price) FROM books) AND book_id IN "
                  "(SELECT book_id FROM reviews WHERE rating = 5)", "extra"),  # c2 2
    ("bookstore", "SELECT T1.name, sum(T3.quantity) FROM customers AS T1 JOIN orders AS T2 "
                  "ON T1.customer_id = T2.customer_id JOIN order_items AS T3 ON T2.order_id = T3.order_id "
                  "GROUP BY T1.customer_id ORDER BY sum(T3.quantity) DESC LIMIT 5", "extra"),  # c1 5
    # NOT IN counts as an aggregate (Spider reads the negation flag): aggs 2, o 1, c2 1
    ("bookstore", "SELECT count(*) FROM books WHERE genre NOT IN (SELECT genre FROM books WHERE price > 50)",
     "extra"),
    ("clinic", "SELECT T1.name, count(*) FROM doctors AS T1 JOIN appointments AS T2 ON T1.doctor_id = T2.doctor_id "
               "GROUP BY T1.doctor_id ORDER BY count(*) DESC LIMIT 1", "extra"),  # c1 4
    ("clinic", "SELECT name FROM patients WHERE city = 'Avonlea' AND sex = 'M' UNION SELECT name FROM doctors "
               "WHERE grade = 'senior'", "extra"),  # c1 1, c2 1, o 1
    ("transit", "SELECT mode, count(*) FROM lines GROUP BY mode ORDER BY count(*) DESC", "extra"),  # c1 2, o 2
    ("transit", "SELECT description FROM incidents WHERE severity = 'high' AND description LIKE '%door%' "
                "OR description LIKE '%signal%'", "extra"),  # c1 4 (where, or, 2 like)
    ("university", "SELECT name FROM instructors WHERE salary > (SELECT avg(salary) FROM instructors) "
                   "ORDER BY salary DESC", "extra"),  # c1 2, c2 1
    ("university", "SELECT T4.name FROM enrollments AS T1 JOIN courses AS T2 ON T1.course_id = T2.course_id "
                   "JOIN instructors AS T3 ON T2.instructor_id = T3.instructor_id JOIN departments AS T4 "
                   "ON T3.department_id = T4.department_id WHERE T1.grade = 'F'", "extra"),  # c1 4
    ("university", "SELECT T1.name, avg(T2.salary) FROM departments AS T1 JOIN instructors AS T2 "
                   "ON T1.department_id = T2.department_id WHERE T2.rank = 'professor' GROUP BY T1.department_id",
     "hard"),  # c1 3 (where, group, join), o 1 (two items; one aggregate)
]


def test_the_table_covers_every_class_with_enough_queries() -> None:
    counts = Counter(expected for _, _, expected in TABLE)
    assert len(TABLE) >= 60 and set(counts) == set(CLASSES) and min(counts.values()) >= 10


def test_every_query_in_the_table_runs_on_its_database() -> None:
    session = SQLDatabaseResource(root=str(REPO / "data" / "databases")).session()
    assert session.check([(db_id, sql) for db_id, sql, _ in TABLE]) == [None] * len(TABLE)


@pytest.mark.parametrize(("db_id", "sql", "expected"), TABLE, ids=[f"{i:02d}" for i in range(len(TABLE))])
def test_component_classifier_agrees_with_spider(db_id: str, sql: str, expected: str) -> None:
    assert spider_hardness(sql) == expected


def test_the_operator_labels_rows_and_counts_classes() -> None:
    batch = pa.table({"SQL": ["SELECT count(*) FROM books", NOT_IN, "SELECT FROM WHERE (", None]})
    op = SQLComponentClassifier({"difficulty_labels": ["e", "m", "h", "x"]})
    result = op.run(batch, OperatorContext())
    assert result.table.column("sql_component_difficulty").to_pylist() == ["e", "h", None, None]
    assert result.metrics == {"component_e": 1, "component_m": 0, "component_h": 1, "component_x": 0,
                              "component_unparsed": 2}
    with pytest.raises(ValueError, match="4 names"):
        SQLComponentClassifier({"difficulty_labels": ["easy", "hard"]})
