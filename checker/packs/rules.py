"""Rule packs: load YAML files into plain rule objects, or say exactly what is wrong.

A pack file has `pack` (name, version, the Code edition it encodes), optional
typed `settings` with defaults, optional named `variables` (CEL), and `rules`.
The shape is checked against `schemas/rules.schema.json` (unknown keys are
errors); then `check_packs` checks what a schema cannot: unique ids across
packs, settings typed and declared, and every expression (variables, rules,
waiver selectors) from its syntax tree (`checker.cel.analysis`): it compiles;
the functions it calls exist with that number of arguments; every field path
it reads exists in the case model, through comprehension variables and index
syntax too; fields are compared with literals of their type and enum fields
with allowed values; `size()` is taken of lists, maps and strings; settings
and variables are declared; variables do not read each other in a cycle.
Each problem has a did-you-mean where one helps. `pack_warnings` lists what is
suspect but allowed (comprehensions nested over two lists).

Every problem is a `SourceError` located by file, line and column, inside an
expression at the line and column where its author wrote the faulty part (the
offset in the expression is mapped back through the YAML scalar's style).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any


from checker.inputs.recordmodel import RecordModel, is_list_field, record_model
from checker.inputs.recordtypes import DEFAULT_RECORD_TYPE, RecordType
from checker.cel.analysis import Environment, analyse
from checker.cel.tree import start
from checker.cel.types import DYN_TYPE, CelType
from checker.cel.syntax import Node
from checker.packs.environment import pack_environment
from checker.packs.expressions import (
    SETTINGS, VARIABLES, ExpressionError, PackScope, VariableError, compile_scope, parse_expression, referenced,
    variable_order,
)
from checker.schemaerrors import (
    describe, dotted, error_location, error_path, suggestion,
)
from checker.yamlfiles import load_checked_yaml
from checker.yamlsource import Locations, ScalarSpan
from checker.errors import CheckerError, FileErrors, Location, RULE_FILES, SourceError

FIXTURE_SUFFIXES = (".test.yaml", ".test.yml")
SETTING_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,), "number": (int, float), "string": (str,), "boolean": (bool,),
    "list": (list,),  # of strings, or of whole numbers (e.g. outcome types): CEL `x in settings.NAME`
}


@dataclass(frozen=True)
class Expression:
    text: str
    location: Location
    span: ScalarSpan | None = field(default=None, compare=False, repr=False)  # where the text is written

    def location_of(self, offset: int | None) -> Location:
        """Where the character at `offset` of the text is written (the expression's start if unknown)."""
        if offset is None or self.span is None:
            return self.location
        return self.span.locate(offset)


@dataclass(frozen=True)
class Clause:
    name: str  # "assert" for a single-expression assertion
    expression: Expression


@dataclass(frozen=True)
class EvidenceItem:
    label: str  # a case path, or the label of a computed value
    path: str | None  # case path without "case."
    expression: Expression | None  # computed evidence
    location: Location | None = None  # where the item is written


def _clipped(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[:width] + "…")


@dataclass(frozen=True)
class Setting:
    name: str
    type: str
    default: Any
    description: str
    minimum: float | None
    maximum: float | None
    source: dict[str, str] | None
    location: Location

    def check_value(self, value: Any) -> Any:
        """`value` if it suits this setting, else ValueError saying what is expected."""
        allowed = SETTING_TYPES[self.type]
        if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
            raise ValueError(f"setting {self.name!r} must be {self.type}, found {value!r}")
        if isinstance(value, float) and not math.isfinite(value):  # 1e400 reads as infinity, NaN compares false
            raise ValueError(f"setting {self.name!r} must be a finite number, found {value!r}")
        if self.type == "list":
            return self._check_list(value)
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"setting {self.name!r} must be at least {self.minimum}, found {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"setting {self.name!r} must be at most {self.maximum}, found {value!r}")
        return value

    def _check_list(self, value: list[Any]) -> list[Any]:
        kinds = {type(item) for item in value}
        if not (kinds <= {str} or kinds <= {int}):
            raise ValueError(f"setting {self.name!r} must be a list of strings or of whole numbers, found {value!r}")
        wanted = self._list_item_kind()
        if wanted is not None and kinds - {wanted}:
            what = "whole numbers" if wanted is int else "strings"
            raise ValueError(f"setting {self.name!r} must be a list of {what} (as its default), found {value!r}")
        return value

    def _list_item_kind(self) -> type | None:
        """What a list setting holds, from its default: int, str, or None (an empty default says nothing)."""
        kinds = {type(item) for item in self.default} if isinstance(self.default, list) else set()
        return next(iter(kinds)) if len(kinds) == 1 else None

    def parse(self, text: str) -> Any:
        """A value given on the command line (`--set name=value`), typed. A list is written as
        comma-separated items (`--set name=a,b,c`; an empty value is the empty list), or as JSON;
        its items are read as whole numbers when the default's are."""
        if self.type == "list" and not text.lstrip().startswith("["):
            items = [item.strip() for item in text.split(",") if item.strip()]
            if self._list_item_kind() is int:
                try:
                    items = [int(item) for item in items]  # type: ignore[misc]
                except ValueError:
                    raise ValueError(f"setting {self.name!r} must be a list of whole numbers, found {text!r}") from None
            return self.check_value(items)
        try:
            value = json.loads(text) if self.type != "string" else text
        except ValueError:  # not JSON, or an integer of more digits than Python reads
            raise ValueError(f"setting {self.name!r} must be {self.type}, found {_clipped(text)}") from None
        if self.type == "number" and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:
                raise ValueError(f"setting {self.name!r} must be a finite number, found {_clipped(text)}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"setting {self.name!r} must be a finite number, found {_clipped(text)} (read as {value})")
        return self.check_value(value)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    family: str
    severity: str
    kind: str  # "automatic" or "manual"
    description: str
    source: dict[str, str]
    applies_when: Expression | None
    combine: str  # "all" or "any"
    clauses: tuple[Clause, ...]
    question: str | None
    message: str
    evidence: tuple[EvidenceItem, ...]
    tags: tuple[str, ...]
    pack: str
    location: Location

    def conditions(self) -> list[Expression]:
        """applies_when and the clauses: the expressions that must give true or false."""
        found = [self.applies_when] if self.applies_when else []
        return found + [clause.expression for clause in self.clauses]

    def expressions(self) -> list[Expression]:
        return self.conditions() + [item.expression for item in self.evidence if item.expression]


@dataclass(frozen=True)
class RulePack:
    name: str
    title: str
    version: str
    code_version: str
    description: str
    settings: dict[str, Setting]
    variables: dict[str, Expression]
    rules: tuple[Rule, ...]
    path: str
    record_type: str = DEFAULT_RECORD_TYPE  # the records it applies to (checker.inputs.recordtypes)

    def default_settings(self) -> dict[str, Any]:
        return {name: setting.default for name, setting in self.settings.items()}


class NoPackForRecordType(CheckerError):
    """None of the packs given is for the type of record the input holds."""

    code = "no-pack-for-record-type"


def packs_for(packs: Iterable[RulePack], kind: RecordType) -> list[RulePack]:
    """The packs that apply to records of `kind`: a pack never runs on records of another type. The default
    rules folder holds packs for every type; NoPackForRecordType when none of `packs` is for this one."""
    packs = list(packs)
    chosen = [pack for pack in packs if pack.record_type == kind.name]
    if packs and not chosen:
        given = ", ".join(f"{pack.name} ({pack.record_type})" for pack in packs)
        raise NoPackForRecordType(f"the input holds {kind.plural} (record type {kind.name!r}) and none of the rule "
                                  f"packs given is for them: {given}. Give a pack whose 'pack.record_type' is "
                                  f"{kind.name!r}, or check the input's record type (--record-type)")
    return chosen


@lru_cache(maxsize=1)
def rules_schema() -> dict[str, Any]:
    text = resources.files("checker").joinpath("schemas/rules.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def find_pack_files(paths: Iterable[Path | str]) -> list[Path]:
    """Pack files under `paths`: `*.yaml`/`*.yml`, recursively, excluding fixtures (`*.test.yaml`)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            candidates = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            found += [p for p in candidates if not p.name.endswith(FIXTURE_SUFFIXES)]
        else:
            found.append(path)
    return found


def load_packs(paths: Iterable[Path | str]) -> list[RulePack]:
    """Load and check every pack under `paths`; raise FileErrors listing every problem."""
    files = find_pack_files(paths)
    if not files:
        raise FileErrors(RULE_FILES, [SourceError(Location(", ".join(map(str, paths)), 1, 1), "no rule pack files found")])
    packs: list[RulePack] = []
    errors: list[SourceError] = []
    for file in files:
        try:
            packs.append(load_pack(file))
        except SourceError as exc:
            errors.append(exc)
        except FileErrors as exc:
            errors += exc.errors
    if not errors:
        errors = check_packs(packs)
    if errors:
        raise FileErrors(RULE_FILES, errors)
    return packs


def load_pack(file: Path) -> RulePack:
    """Parse one pack file and check its shape against the rules schema."""
    loaded = load_checked_yaml(file, RULE_FILES, "a rule pack is a mapping with 'pack' and 'rules'", rules_schema())
    data, locations = loaded.data, loaded.locations
    schema_errors = [_locate(error, locations) for error in loaded.schema_errors]
    if schema_errors:
        raise FileErrors(RULE_FILES, schema_errors)
    return _build_pack(data, locations, str(file))


def _locate(error: Any, locations: Locations) -> SourceError:
    return SourceError(error_location(error, locations), f"{_describe_path(error_path(error))}{_rule_wording(error)}")


def _describe_path(path: tuple[str | int, ...]) -> str:
    """`rules[0].evidence[1]: `, as case-file paths are written (list positions in brackets)."""
    return f"{dotted(path)}: " if path else ""


def _rule_wording(error: Any) -> str:
    """Schema errors about rule shape, in a rule author's words."""
    if error.validator in ("if", "not") and isinstance(error.instance, dict) and "kind" in error.instance:
        kind = error.instance.get("kind") if isinstance(error.instance, dict) else None
        if kind == "manual":
            return "a manual rule has a 'question' for the reviewer and no 'assert'"
        return "an automatic rule has an 'assert' and no 'question'"
    if error.validator == "pattern" and str(error.validator_value).startswith("^[a-z0-9]+(?:-"):
        return f"found {error.instance!r}, expected lower-case kebab case such as 'vc-needs-assessment'"
    if error.validator == "anyOf" and isinstance(error.instance, dict) and "document" in error.instance:
        return "a source needs a 'paragraph' or a 'quote' as well as the document"
    return describe(error)


def _expression(data: dict[str, Any], key: str, path: tuple[str | int, ...], locations: Locations) -> Expression | None:
    text = data.get(key)
    return _located(text, path + (key,), locations) if text is not None else None


def _located(text: str, path: tuple[str | int, ...], locations: Locations) -> Expression:
    return Expression(text, locations.at(path), locations.scalar_at(path))


def _build_pack(data: dict[str, Any], locations: Locations, file: str) -> RulePack:
    meta = data["pack"]
    settings = {
        name: Setting(name=name, type=spec["type"], default=_typed_default(spec), description=spec["description"],
                      minimum=spec.get("minimum"), maximum=spec.get("maximum"), source=spec.get("source"),
                      location=locations.key_at(("settings", name)))
        for name, spec in (data.get("settings") or {}).items()
    }
    variables = {name: _located(text, ("variables", name), locations)
                 for name, text in (data.get("variables") or {}).items()}
    rules = tuple(_build_rule(spec, ("rules", index), locations, meta["name"])
                  for index, spec in enumerate(data["rules"]))
    return RulePack(name=meta["name"], title=meta.get("title", meta["name"]), version=meta["version"],
                    code_version=meta["code_version"], description=meta.get("description", ""),
                    settings=settings, variables=variables, rules=rules, path=file,
                    record_type=meta.get("record_type", DEFAULT_RECORD_TYPE))


def _typed_default(spec: dict[str, Any]) -> Any:
    """A `number` setting is a CEL double even when its default is written as a whole number."""
    default = spec["default"]
    if spec["type"] == "number" and isinstance(default, int) and not isinstance(default, bool):
        return float(default)
    return default


def _build_rule(spec: dict[str, Any], path: tuple[str | int, ...], locations: Locations, pack: str) -> Rule:
    assertion = spec.get("assert")
    combine, clauses = "all", ()
    if isinstance(assertion, str):
        clauses = (Clause("assert", _located(assertion, path + ("assert",), locations)),)
    elif isinstance(assertion, dict):
        combine = "all" if "all" in assertion else "any"
        clauses = tuple(Clause(name, _located(text, path + ("assert", combine, name), locations))
                        for name, text in assertion[combine].items())
    evidence: list[EvidenceItem] = []
    for index, item in enumerate(spec.get("evidence", [])):
        where = locations.at(path + ("evidence", index))
        if isinstance(item, str):
            evidence.append(EvidenceItem(label=item, path=item, expression=None, location=where))
        else:
            expression = _located(item["expr"], path + ("evidence", index, "expr"), locations)
            evidence.append(EvidenceItem(label=item["label"], path=None, expression=expression, location=where))
    return Rule(
        id=spec["id"], title=spec["title"], family=spec["family"], severity=spec["severity"], kind=spec["kind"],
        description=spec.get("description", ""), source=dict(spec["source"]),
        applies_when=_expression(spec, "applies_when", path, locations), combine=combine, clauses=clauses,
        question=spec.get("question"), message=spec["message"], evidence=tuple(evidence),
        tags=tuple(spec.get("tags", [])), pack=pack, location=locations.key_at(path + ("id",)),
    )


def check_packs(packs: Sequence[RulePack]) -> list[SourceError]:
    """What the schema cannot check: ids, settings, variables, expressions and case paths."""
    return analyse_packs(packs)[0]


def pack_warnings(packs: Sequence[RulePack]) -> list[SourceError]:
    """What is allowed but suspect in the packs' expressions (e.g. a cost that grows as a product of lists)."""
    return analyse_packs(packs)[1]


def analyse_packs(packs: Sequence[RulePack]) -> tuple[list[SourceError], list[SourceError]]:
    """(errors, warnings) of `check_packs` and `pack_warnings`."""
    errors: list[SourceError] = []
    warnings: list[SourceError] = []
    seen_ids: dict[str, Rule] = {}
    seen_packs: dict[str, RulePack] = {}
    for pack in packs:
        if pack.name in seen_packs:
            errors.append(SourceError(Location(pack.path, 1, 1),
                                      f"duplicate pack name {pack.name!r}: also in {seen_packs[pack.name].path}"))
        seen_packs.setdefault(pack.name, pack)
        for setting in pack.settings.values():
            try:
                setting.check_value(setting.default)
            except ValueError as exc:
                errors.append(SourceError(setting.location, f"default of {exc}"))
        checker = PackChecker(pack)
        errors += checker.errors
        warnings += checker.warnings
        for rule in pack.rules:
            if rule.id in seen_ids:
                other = seen_ids[rule.id]
                errors.append(SourceError(rule.location, f"duplicate rule id {rule.id!r}: first defined at {other.location}"))
            seen_ids.setdefault(rule.id, rule)
            conditions = rule.conditions()
            for expression in rule.expressions():
                found, suspect = checker.check(expression, what=f"rule {rule.id!r}",
                                               condition=any(expression is condition for condition in conditions))
                errors += found
                warnings += suspect
            for item in rule.evidence:
                if item.path is not None:
                    errors += check_record_path(record_model(pack.record_type), item.path, item.location or rule.location,
                                                f"rule {rule.id!r} evidence")
    return errors, warnings


class PackChecker:
    """Checks expressions in the scope of one pack: its variables first (parsed, in dependency order,
    typed), then each expression given to `check` (a rule's, or a waiver's selector)."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.errors: list[SourceError] = []
        self.warnings: list[SourceError] = []
        self.trees: dict[str, Node] = {}
        for name, expression in pack.variables.items():
            try:
                self.trees[name] = parse_expression(expression.text)
            except ExpressionError as exc:
                self.errors.append(SourceError(expression.location_of(exc.offset),
                                               f"variable {name!r}: expression {exc}"))
        self.types: dict[str, CelType] = {name: DYN_TYPE for name in pack.variables}
        self.scope: PackScope | None = None
        try:
            order = variable_order(self.trees)
        except VariableError as exc:
            self.errors.append(SourceError(pack.variables[exc.variable].location_of(exc.offset),
                                           f"variable {exc.variable!r}: {exc}"))
            self.environment = self._environment()
            return
        for name in order:  # each variable typed after the ones it reads
            self.environment = self._environment()
            found, suspect, value_type = self._check_tree(pack.variables[name], self.trees[name], f"variable {name!r}")
            self.errors += found
            self.warnings += suspect
            self.types[name] = value_type
        self.environment = self._environment()
        if len(self.trees) == len(pack.variables) and not self.errors:
            try:
                self.scope = compile_scope(pack.default_settings(), {n: v.text for n, v in pack.variables.items()},
                                           trees=self.trees, root=record_model(pack.record_type).kind.variable)
            except VariableError as exc:  # the analysis found nothing, the compiler did
                self.errors.append(SourceError(pack.variables[exc.variable].location_of(exc.offset),
                                               f"variable {exc.variable!r}: expression {exc}"))

    def _environment(self) -> Environment:
        """What the pack's expressions read: the case, its settings, its variables (as typed so far)."""
        return pack_environment(record_model(self.pack.record_type),
                                {name: setting.type for name, setting in self.pack.settings.items()}, self.types)

    def check(self, expression: Expression, what: str, condition: bool = False
              ) -> tuple[list[SourceError], list[SourceError]]:
        """(errors, warnings) of one expression read in this pack's scope. A `condition` (applies_when, a clause,
        a waiver's selector) must give true or false: an expression of another type is an error."""
        try:
            tree = parse_expression(expression.text)
        except ExpressionError as exc:
            return [SourceError(expression.location_of(exc.offset), f"{what}: expression {exc}")], []
        errors, warnings, value_type = self._check_tree(expression, tree, what)
        if condition and not errors and value_type.kind not in ("bool", "dyn"):
            errors.append(SourceError(expression.location_of(start(tree)),
                                      f"{what}: the expression gives {_a_type(value_type)}; a condition gives "
                                      "true or false"))
        if not errors and self.scope is not None:
            try:
                self.scope.compile(expression.text, tree)
            except ExpressionError as exc:
                errors.append(SourceError(expression.location_of(exc.offset), f"{what}: expression {exc}"))
        return errors, warnings

    def _check_tree(self, expression: Expression, tree: Node, what: str
                    ) -> tuple[list[SourceError], list[SourceError], CelType]:
        errors = [SourceError(expression.location_of(offset), f"{what}: undeclared {noun} '{namespace}.{name}'"
                                                              f"{suggestion(name, declared)}; declare it under "
                                                              f"'{namespace}:'")
                  for namespace, noun, declared in ((SETTINGS, "setting", self.pack.settings),
                                                    (VARIABLES, "variable", self.pack.variables))
                  for name, offset in referenced(tree, namespace) if name not in declared]
        if errors:
            return sorted(errors, key=lambda error: (error.location.line, error.location.column)), [], DYN_TYPE
        analysis = analyse(tree, self.environment)
        errors = [SourceError(expression.location_of(p.offset), f"{what}: {p.message}") for p in analysis.errors]
        warnings = [SourceError(expression.location_of(p.offset), f"{what}: {p.message}") for p in analysis.warnings]
        return errors, warnings, analysis.type


def check_expression(expression: Expression, pack: RulePack, what: str) -> list[SourceError]:
    """The errors of one condition read in the scope of `pack` (a waiver's selector)."""
    return PackChecker(pack).check(expression, what, condition=True)[0]


def _a_type(value_type: CelType) -> str:
    text = str(value_type)
    return f"an {text}" if text[0] in "aeiou" else f"a {text}"


def check_record_path(model: RecordModel, path: str, location: Location, what: str) -> list[SourceError]:
    """An error when `<record>.<path>` (`case.…`) is not a field of the record type's model."""
    parts = path.split(".")
    root = model.kind.variable
    for depth in range(1, len(parts) + 1):
        prefix = ".".join(parts[:depth])
        schema = model.schema_at(prefix)
        if schema is None:
            parent = ".".join(parts[: depth - 1])
            parent_schema = model.schema_at(parent) if parent else model.schema
            if parent_schema is not None and "properties" not in parent_schema:
                return []  # free-form map such as audit.judgements
            choices = [p for p in model.paths if "[]" not in p]
            hint = suggestion(prefix, choices)
            return [SourceError(location, f"{what}: '{root}.{path}' is not a field of the {model.kind.model}{hint}")]
        if is_list_field(schema) and depth < len(parts):
            return [SourceError(location, f"{what}: '{root}.{prefix}' is a list; read its items with "
                                          f".all(), .exists(), .map() or .filter()")]
    return []
