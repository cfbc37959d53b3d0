"""Load and validate pipeline specs; every problem names the file, line, step and field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from dataflow_assets.spec.model import PipelineSpec
from operators.base import SYSTEM_COLUMNS, Filter
from operators.registry import get_operator

Loc = Sequence[str | int]


@dataclass(frozen=True)
class SpecProblem:
    """One problem in a spec, located by its path of keys (``steps[2].config.threshold``)."""

    loc: tuple[str | int, ...]
    message: str
    line: int | None = None
    column: int | None = None

    def field_path(self) -> str:
        """The dotted path of the field, with list indices in brackets."""
        out = ""
        for part in self.loc:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out or "<document>"


class SpecError(ValueError):
    """A spec that cannot become assets. The message lists each problem with file:line:column."""

    def __init__(self, path: Path | str, problems: list[SpecProblem], steps: Sequence[str] = ()) -> None:
        self.path = str(path)
        self.problems = problems
        lines = []
        for problem in problems:
            where = self.path + (f":{problem.line}:{problem.column}" if problem.line else "")
            step = _step_name(problem.loc, steps)
            step_part = f" step '{step}'," if step else ""
            lines.append(f"{where}:{step_part} field '{problem.field_path()}': {problem.message}")
        super().__init__("invalid pipeline spec\n  " + "\n  ".join(lines))


def _step_name(loc: tuple[str | int, ...], steps: Sequence[str]) -> str | None:
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) and loc[1] < len(steps):
        return steps[loc[1]]
    return None


def _locate(node: yaml.Node | None, loc: Loc) -> tuple[int, int] | None:
    """Line and column (1-based) of the deepest YAML node found along ``loc``."""
    found = node
    for part in loc:
        child = None
        if isinstance(found, yaml.MappingNode):
            child = next((value for key, value in found.value if key.value == part), None)
            if child is None:  # an unknown key: point at the key itself if present
                child = next((key for key, _ in found.value if key.value == part), None)
        elif isinstance(found, yaml.SequenceNode) and isinstance(part, int) and part < len(found.value):
            child = found.value[part]
        if child is None:
            break
        found = child
    if found is None:
        return None
    return found.start_mark.line + 1, found.start_mark.column + 1


def parse_spec(text: str, path: Path | str = "<spec>") -> PipelineSpec:
    """Parse and fully validate spec text (schema, operators, column chain, configs, checks)."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise SpecError(path, [SpecProblem((), f"YAML syntax: {exc.problem}", line, column)]) from exc
    if not isinstance(data, dict):
        raise SpecError(path, [SpecProblem((), "a spec must be a YAML mapping", 1, 1)])
    step_names = [s.get("name", "?") if isinstance(s, dict) else "?" for s in data.get("steps") or []]
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(root, tuple(err["loc"]), err["msg"]) for err in exc.errors()]
        raise SpecError(path, problems, step_names) from exc
    problems = [_problem(root, loc, message) for loc, message in chain_problems(spec)]
    if problems:
        raise SpecError(path, problems, step_names)
    return spec


def load_spec(path: Path | str) -> PipelineSpec:
    """Read a spec file and validate it (``SpecError`` on any problem)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(path, [SpecProblem((), f"cannot read spec: {exc}")]) from exc
    return parse_spec(text, path)


def _problem(root: yaml.Node | None, loc: tuple[str | int, ...], message: str) -> SpecProblem:
    position = _locate(root, loc)
    return SpecProblem(loc, message, *(position or (None, None)))


def chain_problems(spec: PipelineSpec) -> list[tuple[tuple[str | int, ...], str]]:
    """Operators, column bindings, configs and checks along the step chain."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    available = set(spec.raw.columns)
    for index, step in enumerate(spec.steps):
        at = ("steps", index)
        try:
            op_cls = get_operator(step.op)
        except KeyError as exc:
            problems.append(((*at, "op"), str(exc.args[0])))
            continue
        try:
            config = op_cls.Config.model_validate(step.config)
            dynamic = op_cls.dynamic_inputs(config)
        except (ValidationError, ValueError):
            dynamic = ()
        logical_inputs = (*op_cls.inputs, *dynamic)
        for section, declared in (("inputs", logical_inputs), ("outputs", op_cls.outputs)):
            for logical in getattr(step, section):
                if logical not in declared:
                    problems.append(((*at, section, logical),
                                     f"{step.op} has no {section[:-1]} {logical!r} (it has: {list(declared)})"))
        for logical in logical_inputs:
            column = step.inputs.get(logical, logical)
            if column not in available:
                problems.append(((*at, "inputs", logical),
                                 f"column {column!r} is not in raw.columns nor produced by an earlier step "
                                 f"(available: {sorted(available)})"))
        for column in step.outputs.values():
            if column.startswith("_") or column in SYSTEM_COLUMNS:
                problems.append(((*at, "outputs"), f"column {column!r} is reserved"))
        try:
            op_cls.Config.model_validate(step.config)
        except ValidationError as exc:
            problems += [((*at, "config", *err["loc"]), err["msg"]) for err in exc.errors()]
        available |= {step.outputs.get(logical, logical) for logical in op_cls.outputs}
        for check_index, check in enumerate(step.checks):
            for column in check.columns:
                if column not in available:
                    problems.append(((*at, "checks", check_index, "columns"), f"unknown column {column!r}"))
            if check.check == "drop_reason_share":
                reasons = op_cls.reasons() if issubclass(op_cls, Filter) else ()
                if check.reason not in reasons:
                    problems.append(((*at, "checks", check_index, "reason"),
                                     f"{step.op} never drops a row for {check.reason!r} (its reasons: "
                                     f"{', '.join(reasons) or 'none: it is not a filter'})"))
        names = [check.check_name for check in step.checks]
        for name in {n for n in names if names.count(n) > 1}:
            problems.append(((*at, "checks"), f"two checks are named {name!r}; give each a distinct 'name'"))
    for column in spec.export.columns or []:
        if column not in available:
            problems.append((("export", "columns"), f"unknown column {column!r}"))
    return problems
