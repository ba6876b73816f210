"""Safe YAML loading that remembers where each value came from.

Rule packs, fixtures and waivers are YAML written by people; every error about
them must point at a file, line and column. `load_yaml` returns the plain data
(dicts, lists, scalars) and a `Locations` table from paths inside the document
to their positions.

Safety: only the YAML core types are built (no object tags), anchors and aliases
are refused (rule files do not need them and they are the route of "billion
laughs" expansion), and files above `MAX_YAML_BYTES` are refused before parsing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from checker.errors import Location, SourceError
from checker.sidefiles import SideFileError, read_side_file

MAX_YAML_BYTES = 2 * 1024 * 1024

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class ScalarSpan:
    """Where a string value is written in its YAML file, to locate a position inside the value.

    YAML turns what is written into the value: quotes and escapes, the indentation and line breaks
    of plain, folded (`>`) and literal (`|`) styles. `locate(offset)` finds the line and column of the
    value's `offset`-th character as the author wrote it."""

    file: str
    source: str = field(repr=False)  # the whole document
    value: str = field(repr=False)
    style: str | None  # None (plain), "'", '"', "|" or ">"
    start: int  # index in `source` of the node's first character (the quote or block indicator)
    end: int

    def locate(self, offset: int) -> Location:
        index = self._source_index(offset)
        line = self.source.count("\n", 0, index) + 1
        column = index - (self.source.rfind("\n", 0, index) + 1) + 1
        return Location(self.file, line, column)

    def _source_index(self, offset: int) -> int:
        """Walks the value and the source together: equal characters match; what YAML removed (indentation,
        line breaks, quotes, escapes) is skipped in the source; what it added (a folded line break's space)
        is skipped in the value."""
        source, value, style = self.source, self.value, self.style
        j = self.start
        if style in ("'", '"'):
            j += 1
        elif style in ("|", ">"):
            j = source.find("\n", j, self.end) + 1 or self.end  # past the block header (`>-` and comment)
        i = 0
        while j < self.end:
            char = source[j]
            if i >= len(value):
                return j
            if style == '"' and char == "\\":
                if source[j + 1: j + 2] in ("\n", "\r"):  # an escaped line break: no character of the value
                    j += 2
                    continue
                if i == offset:
                    return j
                code = source[j + 1: j + 2]
                j += 2 + {"x": 2, "u": 4, "U": 8}.get(code, 0)
                i += 1
                continue
            if char == value[i]:
                if i == offset:
                    return j
                j += 2 if style == "'" and char == "'" else 1
                i += 1
            elif char in " \t\r\n":
                j += 1
            elif value[i] in " \n":
                if i == offset:
                    return j
                i += 1
            else:  # not expected in well-formed YAML: stop at the best place known
                return j
        return min(j, len(source))


class Locations:
    """Positions of the values of one YAML document, keyed by their path."""

    def __init__(self, file: str, source: str = "") -> None:
        self.file = file
        self.source = source
        self._marks: dict[PathKey, Location] = {}
        self._keys: dict[PathKey, Location] = {}
        self._scalars: dict[PathKey, ScalarSpan] = {}

    def add_scalar(self, path: PathKey, span: ScalarSpan) -> None:
        self._scalars[path] = span

    def scalar_at(self, path: PathKey) -> ScalarSpan | None:
        """Where the string at `path` is written (None when `path` is not a string value)."""
        return self._scalars.get(tuple(path))

    def add(self, path: PathKey, line: int, column: int) -> None:
        self._marks[path] = Location(self.file, line, column)

    def add_key(self, path: PathKey, line: int, column: int) -> None:
        self._keys[path] = Location(self.file, line, column)

    def key_at(self, path: PathKey) -> Location:
        """The position of the mapping key that names `path` (or of its value)."""
        return self._keys.get(tuple(path)) or self.at(path)

    def at(self, path: PathKey) -> Location:
        """The position of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path not in self._marks and path:
            path = path[:-1]
        return self._marks.get(path, Location(self.file, 1, 1))


def load_yaml(path: Path | str) -> tuple[Any, Locations]:
    """Parse one YAML file; raises SourceError with the position of any problem."""
    path = Path(path)
    name = str(path)
    start = Location(name, 1, 1)
    try:
        raw = read_side_file(path, MAX_YAML_BYTES, "YAML files")
    except SideFileError as exc:
        raise SourceError(start, str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(start, f"not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[Any, Locations]:
    locations = Locations(name, text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise SourceError(_too_deep(text, name), f"nested more than {MAX_YAML_DEPTH} levels deep: "
                          "not a file this checker reads") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        raise SourceError(where, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(Location(name, 1, 1), f"invalid YAML: {exc}") from None
    if node is None:
        return None, locations
    return _build(node, (), locations, set()), locations


MAX_YAML_DEPTH = 100  # rule packs nest about 6 levels; the parser's own recursion gives out near 300


def _too_deep(text: str, name: str) -> Location:
    """Where the YAML first nests deeper than MAX_YAML_DEPTH, found from the parser's events (which,
    unlike composing the document, do not recurse)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return Location(name, event.start_mark.line + 1, event.start_mark.column + 1)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        pass
    return Location(name, 1, 1)


_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")  # used only to resolve scalar values (int, bool, null, …)


def _build(node: yaml.Node, path: PathKey, locations: Locations, seen: set[int]) -> Any:
    locations.add(path, node.start_mark.line + 1, node.start_mark.column + 1)
    here = Location(locations.file, node.start_mark.line + 1, node.start_mark.column + 1)
    if len(path) > MAX_YAML_DEPTH:
        raise SourceError(here, f"nested more than {MAX_YAML_DEPTH} levels deep: not a file this checker reads")
    # The composer hands back the anchored node again for every alias: a node met twice is an alias.
    if id(node) in seen:
        raise SourceError(here, "YAML anchors and aliases are not allowed in this file")
    seen.add(id(node))
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _COLLECTION_TAGS:
        raise SourceError(here, f"YAML tag {node.tag!r} is not allowed: only plain values, lists and mappings")
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise SourceError(here, "mapping keys must be plain strings")
            key = str(_SCALAR_CONSTRUCTOR.construct_scalar(key_node))
            if key == "<<":
                raise SourceError(here, "YAML merge keys ('<<') are not allowed in this file")
            if key in result:
                line = key_node.start_mark.line + 1
                raise SourceError(Location(locations.file, line, key_node.start_mark.column + 1),
                                  f"duplicate key {key!r}")
            locations.add_key(path + (key,), key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _build(value_node, path + (key,), locations, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (index,), locations, seen) for index, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay text: the code that reads them parses and checks them
        if node.tag not in _CORE_TAGS:
            raise SourceError(here, f"YAML tag {node.tag!r} is not allowed: only plain values, lists and mappings")
        try:
            value = _SCALAR_CONSTRUCTOR.construct_object(node, deep=True)
        except ValueError:  # an integer beyond Python's digit limit (4,300 digits)
            raise SourceError(here, f"a number of {len(node.value):,} characters is too long to be a value "
                              "in this file") from None
        if isinstance(value, str):
            locations.add_scalar(path, ScalarSpan(locations.file, locations.source, value, node.style,
                                                  node.start_mark.index, node.end_mark.index))
        return value
    raise SourceError(here, "unsupported YAML node")


_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_CORE_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
}

