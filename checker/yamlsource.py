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

from pathlib import Path
from typing import Any

import yaml

from checker.errors import Location, SourceError

MAX_YAML_BYTES = 2 * 1024 * 1024

PathKey = tuple[str | int, ...]


class Locations:
    """Positions of the values of one YAML document, keyed by their path."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._marks: dict[PathKey, Location] = {}
        self._keys: dict[PathKey, Location] = {}

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
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise SourceError(start, f"file is {size} bytes; YAML files above {MAX_YAML_BYTES} bytes are refused")
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(start, f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(start, f"not UTF-8 text (byte {exc.start}): save the file as UTF-8") from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[Any, Locations]:
    locations = Locations(name)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        raise SourceError(where, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(Location(name, 1, 1), f"invalid YAML: {exc}") from None
    if node is None:
        return None, locations
    return _build(node, (), locations, set()), locations


_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")  # used only to resolve scalar values (int, bool, null, …)


def _build(node: yaml.Node, path: PathKey, locations: Locations, seen: set[int]) -> Any:
    locations.add(path, node.start_mark.line + 1, node.start_mark.column + 1)
    here = Location(locations.file, node.start_mark.line + 1, node.start_mark.column + 1)
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
        return _SCALAR_CONSTRUCTOR.construct_object(node, deep=True)
    raise SourceError(here, "unsupported YAML node")


_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_CORE_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
}

