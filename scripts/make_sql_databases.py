"""Build the shipped text-to-SQL execution databases, deterministically, in Spider/BIRD layout.

``python scripts/make_sql_databases.py [--out data/databases]`` writes ``<out>/<db_id>/<db_id>.sqlite`` for four
made-up domains (a bookstore, a clinic, a city transit network, a university): 6-8 tables each, foreign keys,
a few thousand rows, ISO dates, NULLs and free text. Every value comes from hand-written vocabularies and one
seeded ``random.Random`` per database, so the files are byte-for-byte reproducible on one SQLite version.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

FIRST = ("Ada Alan Grace Linus Margaret Edsger Barbara Donald Frances Ken Radia Tim Katherine Dennis Hedy Claude "
         "Sophie Omar Priya Chen Lucia Mateo Amara Yusuf Ingrid Tomas Aiko Nia Pavel Zara Rohan Elena").split()
LAST = ("Lovelace Turing Hopper Torvalds Hamilton Dijkstra Liskov Knuth Allen Thompson Perlman Berners Johnson "
        "Ritchie Lamarr Shannon Moreau Haddad Nair Wei Romero Garcia Okafor Demir Berg Novak Sato Mensah Volkov "
        "Ahmed Kapoor Petrova").split()
CITIES = ("Avonlea Brightwater Cedar Falls Dunmore Eastport Fairhaven Glenrock Harborview Ironwood Juniper "
          "Kingsbridge Lakeside").split()
COUNTRIES = ("France Germany Japan Brazil Canada Kenya India Norway Mexico Italy").split()
ADJ = ("silent hidden golden broken distant bright quiet restless endless forgotten crimson gentle frozen "
       "wandering bitter secret").split()
NOUN = ("river garden engine harbor mountain letter island forest machine city winter orchard bridge lantern "
        "archive compass").split()
PRAISE = ("a gripping read", "beautifully written", "too long in the middle", "the ending surprised me",
          "great characters but a slow start", "I would not recommend it", "a classic I return to",
          "clear explanations and useful examples", "the translation feels clumsy", "perfect for a rainy weekend")


def person(rng: random.Random) -> str:
    """A made-up full name."""
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def day(rng: random.Random, start: date, span_days: int) -> str:
    """An ISO date in ``[start, start + span_days)``."""
    return (start + timedelta(days=rng.randrange(span_days))).isoformat()


def moment(rng: random.Random, start: date, span_days: int) -> datetime:
    """A timestamp on a quarter hour between 06:00 and 21:45 in ``[start, start + span_days)``."""
    base = datetime.combine(start, datetime.min.time()) + timedelta(days=rng.randrange(span_days))
    return base + timedelta(minutes=360 + 15 * rng.randrange(64))


def maybe(rng: random.Random, value: object, null_share: float) -> object:
    """``value``, or NULL with probability ``null_share``."""
    return None if rng.random() < null_share else value


def title(rng: random.Random) -> str:
    """A made-up book or course title."""
    return f"The {rng.choice(ADJ).title()} {rng.choice(NOUN).title()}"


Rows = list[tuple[object, ...]]


def bookstore(rng: random.Random) -> dict[str, Rows]:
    """Publishers, authors, books, customers, orders and reviews."""
    genres = ("fiction", "mystery", "science", "history", "poetry", "fantasy", "biography", "travel")
    publishers = [(i, f"{rng.choice(NOUN).title()} {rng.choice(['Press', 'House', 'Books'])}", rng.choice(COUNTRIES),
                   rng.randrange(1890, 2015)) for i in range(1, 31)]
    authors = [(i, person(rng), rng.randrange(1930, 1998), rng.choice(COUNTRIES),
                maybe(rng, f"Writes about {rng.choice(NOUN)}s and {rng.choice(NOUN)}s.", 0.4)) for i in range(1, 181)]
    books = [(i, title(rng), rng.randrange(1, 31), day(rng, date(1995, 1, 1), 10900), round(rng.uniform(4, 60), 2),
              rng.randrange(80, 900), rng.choice(genres), rng.choice(["en", "en", "en", "fr", "de", "ja"]))
             for i in range(1, 501)]
    book_authors = sorted({(b, rng.randrange(1, 181)) for b in range(1, 501) for _ in range(rng.choice([1, 1, 2]))})
    tiers = ("bronze", "silver", "gold")
    customers = [(i, person(rng), f"customer{i}@example.com", rng.choice(CITIES), day(rng, date(2018, 1, 1), 1800),
                  maybe(rng, rng.choice(tiers), 0.3)) for i in range(1, 401)]
    orders, items = [], []
    for i in range(1, 1201):
        ordered = date(2019, 1, 1) + timedelta(days=rng.randrange(1800))
        status = rng.choice(["delivered", "delivered", "delivered", "shipped", "cancelled", "pending"])
        shipped = (ordered + timedelta(days=rng.randrange(1, 9))).isoformat() if status in ("delivered",
                                                                                            "shipped") else None
        orders.append((i, rng.randrange(1, 401), ordered.isoformat(), status, shipped))
        for book in rng.sample(range(1, 501), rng.randrange(1, 5)):
            items.append((i, book, rng.randrange(1, 4), books[book - 1][4]))
    reviews = [(i, rng.randrange(1, 501), rng.randrange(1, 401), rng.randrange(1, 6), day(rng, date(2019, 1, 1), 1900),
                maybe(rng, f"{rng.choice(PRAISE).capitalize()}; {rng.choice(PRAISE)}.", 0.25)) for i in range(1, 901)]
    return {"publishers": publishers, "authors": authors, "books": books, "book_authors": book_authors,
            "customers": customers, "orders": orders, "order_items": items, "reviews": reviews}


def clinic(rng: random.Random) -> dict[str, Rows]:
    """Departments, doctors, patients, appointments, prescriptions and lab results."""
    names = ("Cardiology", "Dermatology", "Neurology", "Pediatrics", "Oncology", "Orthopedics", "General Medicine")
    departments = [(i, name, rng.randrange(1, 6)) for i, name in enumerate(names, 1)]
    doctors = [(i, f"Dr. {person(rng)}", rng.randrange(1, 8), rng.choice(["senior", "resident", "consultant"]),
                day(rng, date(2000, 1, 1), 8000), maybe(rng, f"555-{rng.randrange(1000, 9999)}", 0.3))
               for i in range(1, 41)]
    patients = [(i, person(rng), day(rng, date(1935, 1, 1), 31000), rng.choice("FM"), rng.choice(CITIES),
                 maybe(rng, rng.choice(["public", "private", "none"]), 0.2)) for i in range(1, 601)]
    reasons = ("persistent cough", "annual check-up", "back pain after lifting", "skin rash on both arms",
               "follow-up after surgery", "headaches in the morning", "chest tightness when climbing stairs",
               "vaccination", "sprained ankle", "fatigue and poor sleep")
    appointments = []
    for i in range(1, 2001):
        status = rng.choice(["completed", "completed", "completed", "cancelled", "no-show", "scheduled"])
        appointments.append((i, rng.randrange(1, 601), rng.randrange(1, 41),
                             moment(rng, date(2021, 1, 1), 1300).isoformat(sep=" "), status,
                             maybe(rng, rng.choice(reasons), 0.1)))
    drugs = ("Amoxicillin", "Ibuprofen", "Metformin", "Lisinopril", "Atorvastatin", "Omeprazole", "Cetirizine",
             "Prednisone", "Sertraline", "Salbutamol", "Paracetamol", "Warfarin")
    medications = [(i, name, round(rng.uniform(0.05, 4.0), 2)) for i, name in enumerate(drugs, 1)]
    completed = [a[0] for a in appointments if a[4] == "completed"]
    prescriptions = [(i, rng.choice(completed),
                      rng.randrange(1, len(drugs) + 1), f"{rng.choice([1, 2, 3])} x {rng.choice([5, 10, 20, 50])} mg",
                      rng.choice([3, 5, 7, 10, 14, 30])) for i in range(1, 1501)]
    tests = {"glucose": (70, 140), "cholesterol": (120, 280), "hemoglobin": (10, 18), "sodium": (130, 150)}
    labs = []
    for i in range(1, 1801):
        test = rng.choice(sorted(tests))
        low, high = tests[test]
        value = round(rng.uniform(low, high), 1)
        flag = "high" if value > high - (high - low) * 0.15 else ("low" if value < low + (high - low) * 0.1 else None)
        labs.append((i, rng.randrange(1, 601), test, value, day(rng, date(2021, 1, 1), 1300), flag))
    return {"departments": departments, "doctors": doctors, "patients": patients, "appointments": appointments,
            "medications": medications, "prescriptions": prescriptions, "lab_results": labs}


def transit(rng: random.Random) -> dict[str, Rows]:
    """Lines, stops, vehicles, drivers, trips and incidents of a city network."""
    colors = ("red", "blue", "green", "orange", "purple", "yellow", "brown", "pink")
    lines = [(i, f"Line {i}", rng.choice(["bus", "bus", "tram", "metro"]), colors[(i - 1) % 8]) for i in range(1, 17)]
    stops = [(i, f"{rng.choice(CITIES)} {rng.choice(['Square', 'Station', 'Park', 'Market', 'Gate'])} {i}",
              rng.choice("ABC"), rng.choice([0, 1, 1]), maybe(rng, day(rng, date(1960, 1, 1), 22000), 0.35))
             for i in range(1, 181)]
    line_stops = [(line, stop, seq) for line in range(1, 17)
                  for seq, stop in enumerate(rng.sample(range(1, 181), rng.randrange(8, 20)), 1)]
    vehicles = [(i, rng.randrange(1, 17), rng.choice(["Citaro", "Urbino", "Flexity", "Avenio", "Movia"]),
                 rng.choice([60, 80, 120, 240, 600]), day(rng, date(2005, 1, 1), 6500)) for i in range(1, 121)]
    drivers = [(i, person(rng), day(rng, date(1990, 1, 1), 11000), maybe(rng, rng.choice("ABC"), 0.3))
               for i in range(1, 81)]
    trips = []
    for i in range(1, 3001):
        departed = moment(rng, date(2023, 1, 1), 365)
        arrived = maybe(rng, (departed + timedelta(minutes=rng.randrange(12, 95))).isoformat(sep=" "), 0.05)
        trips.append((i, rng.randrange(1, 121), rng.randrange(1, 81), departed.isoformat(sep=" "), arrived,
                      rng.randrange(0, 140)))
    what = ("door stuck open at the terminus", "passenger fell while boarding", "signal failure near the depot",
            "minor collision with a parked car", "air conditioning broke down", "late departure after a delay",
            "graffiti reported on the rear window", "medical emergency on board")
    incidents = [(i, rng.randrange(1, 3001), moment(rng, date(2023, 1, 1), 365).isoformat(sep=" "),
                  rng.choice(["low", "low", "medium", "high"]), rng.choice(what)) for i in range(1, 301)]
    return {"lines": lines, "stops": stops, "line_stops": line_stops, "vehicles": vehicles, "drivers": drivers,
            "trips": trips, "incidents": incidents}


def university(rng: random.Random) -> dict[str, Rows]:
    """Departments, instructors, courses, students, enrollments and prerequisites."""
    names = ("Computer Science", "Mathematics", "Physics", "History", "Biology", "Economics", "Philosophy")
    departments = [(i, name, f"Building {chr(64 + i)}", rng.randrange(200_000, 2_000_000)) for i, name in
                   enumerate(names, 1)]
    instructors = [(i, person(rng), rng.randrange(1, 8), rng.choice(["professor", "lecturer", "assistant"]),
                    rng.randrange(45_000, 160_000), day(rng, date(1995, 1, 1), 10000)) for i in range(1, 61)]
    courses = [(i, f"{title(rng)} {rng.choice(['I', 'II', 'Seminar', 'Lab'])}", rng.randrange(1, 8),
                rng.choice([2, 3, 4, 6]), maybe(rng, rng.randrange(1, 61), 0.15)) for i in range(1, 121)]
    prereqs = sorted({(c, rng.randrange(1, c)) for c in range(10, 121, 3)})
    students = [(i, person(rng), rng.randrange(1, 8), rng.randrange(2016, 2025), maybe(rng, rng.choice(CITIES), 0.2))
                for i in range(1, 801)]
    grades = ("A", "A", "B", "B", "B", "C", "C", "D", "F")
    enrollments = sorted({(rng.randrange(1, 801), rng.randrange(1, 121), rng.choice(["fall", "spring"]),
                           rng.randrange(2019, 2025)) for _ in range(3200)})
    enrollments = [(*e, maybe(rng, rng.choice(grades), 0.12)) for e in enrollments]
    return {"departments": departments, "instructors": instructors, "courses": courses, "prerequisites": prereqs,
            "students": students, "enrollments": enrollments}


SCHEMAS: dict[str, tuple[int, Callable[[random.Random], dict[str, Rows]], str]] = {
    "bookstore": (11, bookstore, """
CREATE TABLE publishers (publisher_id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT, founded_year INTEGER);
CREATE TABLE authors (author_id INTEGER PRIMARY KEY, name TEXT NOT NULL, birth_year INTEGER, country TEXT, bio TEXT);
CREATE TABLE books (book_id INTEGER PRIMARY KEY, title TEXT NOT NULL,
  publisher_id INTEGER REFERENCES publishers(publisher_id), published_date DATE, price REAL, pages INTEGER,
  genre TEXT, language TEXT);
CREATE TABLE book_authors (book_id INTEGER REFERENCES books(book_id), author_id INTEGER REFERENCES authors(author_id),
  PRIMARY KEY (book_id, author_id));
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, city TEXT,
  joined_date DATE, loyalty_tier TEXT);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),
  order_date DATE, status TEXT, shipped_date DATE);
CREATE TABLE order_items (order_id INTEGER REFERENCES orders(order_id), book_id INTEGER REFERENCES books(book_id),
  quantity INTEGER, unit_price REAL, PRIMARY KEY (order_id, book_id));
CREATE TABLE reviews (review_id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books(book_id),
  customer_id INTEGER REFERENCES customers(customer_id), rating INTEGER, review_date DATE, body TEXT);"""),
    "clinic": (12, clinic, """
CREATE TABLE departments (department_id INTEGER PRIMARY KEY, name TEXT NOT NULL, floor INTEGER);
CREATE TABLE doctors (doctor_id INTEGER PRIMARY KEY, name TEXT NOT NULL,
  department_id INTEGER REFERENCES departments(department_id), grade TEXT, hired_date DATE, phone TEXT);
CREATE TABLE patients (patient_id INTEGER PRIMARY KEY, name TEXT NOT NULL, birth_date DATE, sex TEXT, city TEXT,
  insurance TEXT);
CREATE TABLE appointments (appointment_id INTEGER PRIMARY KEY, patient_id INTEGER REFERENCES patients(patient_id),
  doctor_id INTEGER REFERENCES doctors(doctor_id), scheduled_at DATETIME, status TEXT, reason TEXT);
CREATE TABLE medications (medication_id INTEGER PRIMARY KEY, name TEXT NOT NULL, unit_cost REAL);
CREATE TABLE prescriptions (prescription_id INTEGER PRIMARY KEY,
  appointment_id INTEGER REFERENCES appointments(appointment_id),
  medication_id INTEGER REFERENCES medications(medication_id), dosage TEXT, days INTEGER);
CREATE TABLE lab_results (lab_id INTEGER PRIMARY KEY, patient_id INTEGER REFERENCES patients(patient_id),
  test_name TEXT, value REAL, taken_on DATE, flag TEXT);"""),
    "transit": (13, transit, """
CREATE TABLE lines (line_id INTEGER PRIMARY KEY, name TEXT NOT NULL, mode TEXT, color TEXT);
CREATE TABLE stops (stop_id INTEGER PRIMARY KEY, name TEXT NOT NULL, zone TEXT, wheelchair_access INTEGER,
  opened_date DATE);
CREATE TABLE line_stops (line_id INTEGER REFERENCES lines(line_id), stop_id INTEGER REFERENCES stops(stop_id),
  seq INTEGER, PRIMARY KEY (line_id, stop_id));
CREATE TABLE vehicles (vehicle_id INTEGER PRIMARY KEY, line_id INTEGER REFERENCES lines(line_id), model TEXT,
  capacity INTEGER, commissioned DATE);
CREATE TABLE drivers (driver_id INTEGER PRIMARY KEY, name TEXT NOT NULL, license_date DATE, home_zone TEXT);
CREATE TABLE trips (trip_id INTEGER PRIMARY KEY, vehicle_id INTEGER REFERENCES vehicles(vehicle_id),
  driver_id INTEGER REFERENCES drivers(driver_id), departed_at DATETIME, arrived_at DATETIME, passengers INTEGER);
CREATE TABLE incidents (incident_id INTEGER PRIMARY KEY, trip_id INTEGER REFERENCES trips(trip_id),
  reported_at DATETIME, severity TEXT, description TEXT);"""),
    "university": (14, university, """
CREATE TABLE departments (department_id INTEGER PRIMARY KEY, name TEXT NOT NULL, building TEXT, budget INTEGER);
CREATE TABLE instructors (instructor_id INTEGER PRIMARY KEY, name TEXT NOT NULL,
  department_id INTEGER REFERENCES departments(department_id), rank TEXT, salary INTEGER, hired_date DATE);
CREATE TABLE courses (course_id INTEGER PRIMARY KEY, title TEXT NOT NULL,
  department_id INTEGER REFERENCES departments(department_id), credits INTEGER,
  instructor_id INTEGER REFERENCES instructors(instructor_id));
CREATE TABLE prerequisites (course_id INTEGER REFERENCES courses(course_id),
  prerequisite_id INTEGER REFERENCES courses(course_id), PRIMARY KEY (course_id, prerequisite_id));
CREATE TABLE students (student_id INTEGER PRIMARY KEY, name TEXT NOT NULL,
  department_id INTEGER REFERENCES departments(department_id), enrolled_year INTEGER, home_city TEXT);
CREATE TABLE enrollments (student_id INTEGER REFERENCES students(student_id),
  course_id INTEGER REFERENCES courses(course_id), term TEXT, year INTEGER, grade TEXT,
  PRIMARY KEY (student_id, course_id, term, year));"""),
}


def build(db_id: str, out: Path) -> Path:
    """Write one database (replacing an old copy) and return its path."""
    seed, make, ddl = SCHEMAS[db_id]
    path = out / db_id / f"{db_id}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    tables = make(random.Random(seed))
    conn = sqlite3.connect(path)
    try:
        conn.executescript(ddl)
        for table, rows in tables.items():
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        conn.commit()
        conn.execute("VACUUM")
    finally:
        conn.close()
    return path


def main() -> None:
    """Build every shipped database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/databases"))
    args = parser.parse_args()
    for db_id in SCHEMAS:
        path = build(db_id, args.out)
        print(f"{path}  {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
