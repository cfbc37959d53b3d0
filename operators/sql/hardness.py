"""Spider's official SQL hardness (easy / medium / hard / extra), computed from sqlglot's syntax tree.

Spider's ``evaluation.py`` counts three things on the top-level query and maps them to a class:

- component 1: WHERE, GROUP BY, ORDER BY and LIMIT present (1 each), joined tables beyond the first, ``OR``
  connectors and ``LIKE`` conditions (in JOIN ON, WHERE and HAVING);
- component 2: nested queries: subqueries that are values of a condition (JOIN ON, WHERE, HAVING) and a set
  operation (UNION / INTERSECT / EXCEPT: one, for the first operator);
- others: more than one aggregate, more than one SELECT item, more than one WHERE condition, more than one GROUP
  BY item (1 each).

"Aggregates" are counted exactly as Spider's code counts them: the aggregate of each SELECT item (of its first
operand, for arithmetic), of GROUP BY items and of both operands of ORDER BY items; in WHERE it counts the
*negated* conditions (``NOT IN``, ``NOT LIKE``…: Spider's ``has_agg`` reads a condition's negation flag), and in
HAVING the negated conditions and the ``AND`` / ``OR`` connectors (it reads the connector strings as units), but
never HAVING's own aggregate. Only the top-level query is counted; of a set operation, its first SELECT
(Spider attaches ORDER BY / LIMIT after a set operation to the last SELECT). Beyond Spider's grammar (which it
cannot parse) this module extends the rules: a CTE and a subquery in the SELECT list each count as a nested
query, an ``IS NOT NULL`` test is not a negated condition, and an aggregate inside another function counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
SET_OPERATIONS = (exp.Union, exp.Intersect, exp.Except)
CLASSES = ("easy", "medium", "hard", "extra")


@dataclass(frozen=True)
class Components:
    """Spider's three counts for one query."""

    component1: int
    component2: int
    others: int

    @property
    def hardness(self) -> str:
        """Spider's ``eval_hardness`` on these counts."""
        c1, c2, others = self.component1, self.component2, self.others
        if c1 <= 1 and others == 0 and c2 == 0:
            return "easy"
        if (others <= 2 and c1 <= 1 and c2 == 0) or (c1 <= 2 and others < 2 and c2 == 0):
            return "medium"
        if ((others > 2 and c1 <= 2 and c2 == 0) or (2 < c1 <= 3 and others <= 2 and c2 == 0)
                or (c1 <= 1 and others == 0 and c2 <= 1)):
            return "hard"
        return "extra"


def _arg(node: exp.Expression, *names: str) -> exp.Expression | None:
    for name in names:  # sqlglot renamed some args ("from" -> "from_", "with" -> "with_")
        value = node.args.get(name)
        if value is not None:
            return value
    return None


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Alias | exp.Paren):
        node = node.this
    return node


def _is_query(node: object) -> bool:
    return isinstance(node, exp.Subquery | exp.Query)


def _agg(node: exp.Expression | None) -> bool:
    """Whether a SELECT / GROUP BY unit carries an aggregate, as Spider reads it."""
    if node is None:
        return False
    node = _unwrap(node)
    if isinstance(node, AGGREGATES):
        return True
    if isinstance(node, ARITHMETIC):
        return _agg(node.this)
    if isinstance(node, exp.Window) or _is_query(node):
        return False
    return any(isinstance(found, AGGREGATES) for found in node.find_all(*AGGREGATES)
               if not any(_is_query(parent) or isinstance(parent, exp.Window) for parent in _parents(found, node)))


def _parents(node: exp.Expression, stop: exp.Expression) -> list[exp.Expression]:
    found, parent = [], node.parent
    while parent is not None and parent is not stop:
        found.append(parent)
        parent = parent.parent
    return found


@dataclass
class _Conditions:
    leaves: list[exp.Expression]
    ors: int


def _conditions(node: exp.Expression | None) -> _Conditions:
    """A condition tree flattened as Spider's list of condition units and AND / OR connectors."""
    found = _Conditions([], 0)

    def walk(part: exp.Expression) -> None:
        if isinstance(part, exp.Paren):
            walk(part.this)
        elif isinstance(part, exp.And | exp.Or):
            found.ors += isinstance(part, exp.Or)
            walk(part.this)
            walk(part.expression)
        else:
            found.leaves.append(part)

    if node is not None:
        walk(node.this if isinstance(node, exp.Where | exp.Having) else node)
    return found


def _negated(leaf: exp.Expression) -> bool:
    return isinstance(leaf, exp.Not) and not isinstance(_unwrap(leaf.this), exp.Is)


def _like(leaf: exp.Expression) -> bool:
    inner = _unwrap(leaf.this) if isinstance(leaf, exp.Not) else leaf
    return isinstance(inner, exp.Like | exp.ILike)


def _nested_values(leaf: exp.Expression) -> int:
    inner = _unwrap(leaf.this) if isinstance(leaf, exp.Not) else leaf
    if isinstance(inner, exp.Exists):
        return 1
    values = [inner.args.get(name) for name in ("this", "expression", "query", "low", "high")]
    return sum(1 for value in values if _is_query(value))


def _top_select(tree: exp.Expression) -> tuple[exp.Expression, int, int]:
    """The first SELECT of the top-level query, its set-operation count (0 or 1) and its CTE count."""
    set_operation, ctes = 0, 0
    node = tree
    while True:
        with_clause = _arg(node, "with_", "with")
        ctes += len(with_clause.expressions) if isinstance(with_clause, exp.With) else 0
        if isinstance(node, exp.Subquery | exp.Paren):
            node = node.this
        elif isinstance(node, SET_OPERATIONS):
            set_operation = 1
            node = node.this
        else:
            return node, set_operation, ctes


def components(tree: exp.Expression) -> Components:
    """Spider's counts for a parsed query."""
    select, set_operation, ctes = _top_select(tree)
    if not isinstance(select, exp.Select):
        raise ValueError(f"not a query: {type(select).__name__}")
    source = _arg(select, "from_", "from")
    joins = select.args.get("joins") or []
    table_units = (1 if source is not None else 0) + len(joins)
    join_conds = [_conditions(j.args.get("on")) for j in joins if j.args.get("on") is not None]
    where, having = _conditions(select.args.get("where")), _conditions(select.args.get("having"))
    group = list(select.args["group"].expressions) if select.args.get("group") else []
    order = list(select.args["order"].expressions) if select.args.get("order") else []
    all_leaves = [leaf for c in (*join_conds, where, having) for leaf in c.leaves]

    component1 = sum(1 for present in (where.leaves, group, order, select.args.get("limit")) if present)
    component1 += max(table_units - 1, 0)
    component1 += sum(c.ors for c in (*join_conds, where, having)) + sum(1 for leaf in all_leaves if _like(leaf))

    component2 = sum(_nested_values(leaf) for leaf in all_leaves) + set_operation + ctes
    component2 += sum(1 for item in select.expressions if _is_query(_unwrap(item)))

    aggregates = sum(_agg(item) for item in select.expressions) + sum(_negated(leaf) for leaf in where.leaves)
    aggregates += sum(_agg(item) for item in group)
    for ordered in order:
        unit = _unwrap(ordered.this if isinstance(ordered, exp.Ordered) else ordered)
        aggregates += _agg(unit.this) + _agg(unit.expression) if isinstance(unit, ARITHMETIC) else _agg(unit)
    aggregates += max(len(having.leaves) - 1, 0) + sum(_negated(leaf) for leaf in having.leaves)
    others = sum(1 for many in (aggregates > 1, len(select.expressions) > 1, len(where.leaves) > 1, len(group) > 1)
                 if many)
    return Components(component1, component2, others)


def spider_hardness(sql: str, dialect: str = "sqlite") -> str | None:
    """The hardness class of ``sql`` (None when it does not parse as one query)."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
        return components(tree).hardness if tree is not None else None
    except (SqlglotError, ValueError, RecursionError):
        return None
