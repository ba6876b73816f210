"""Reading syntax trees: a node's sub-expressions, every node, where a sub-expression's text starts, and
the field paths read from a name."""

from __future__ import annotations

from collections.abc import Iterator

from checker.cel.syntax import (
    Access, Call, Chain, Comprehension, Conditional, Group, Has, Ident, ListExpr, Logical, MapExpr, Node, Unary,
)


def start(node: Node) -> int:
    """Where a sub-expression's text starts (a node's own offset is its operator's or name's)."""
    while True:
        kind = type(node)
        if kind is Access:
            node = node.root
        elif kind is Chain:
            node = node.first
        elif kind is Logical:
            node = node.terms[0]
        elif kind is Conditional:
            node = node.test
        elif kind is Comprehension:
            node = node.range
        elif kind is Call and node.target is not None:
            node = node.target
        else:
            return node.offset


def names(node: Node) -> Iterator[str]:
    """Every identifier a sub-tree reads (comprehension variables included)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Ident):
            yield current.name
        stack.extend(children(current))


def children(node: Node) -> list[Node]:
    """The direct sub-expressions of a node, in the order of the text."""
    kind = type(node)
    if kind is Access:
        return [node.root] + [payload for step, payload in node.steps if step == "index"]
    if kind is Call:
        return ([node.target] if node.target is not None else []) + list(node.args)
    if kind is ListExpr:
        return list(node.items)
    if kind is MapExpr:
        return [part for entry in node.entries for part in entry]
    if kind is Unary or kind is Has:
        return [node.operand]
    if kind is Chain:
        return [node.first] + [term for _, term in node.rest]
    if kind is Logical:
        return list(node.terms)
    if kind is Conditional:
        return [node.test, node.then, node.other]
    if kind is Comprehension:
        return [node.range] + list(node.args)
    if kind is Group:
        return [node.inner]
    return []


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents before children, in the order of the text."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def field_paths(node: Node, root: str) -> list[tuple[str, int]]:
    """The field paths read from the name `root` (`case.victim.kind` → ("victim.kind", offset)), in the
    order of the text, each once; paths stop before an index or a method call. Names bound by a
    comprehension to the same name are not `root`."""
    found: dict[str, int] = {}
    _field_paths(node, root, found, shadowed=False)
    return list(found.items())


def _field_paths(node: Node, root: str, found: dict[str, int], shadowed: bool) -> None:
    if isinstance(node, Access) and isinstance(node.root, Ident) and node.root.name == root and not shadowed:
        names = []
        for kind, payload in node.steps:
            if kind == "index":
                break
            names.append(payload)
        if names:
            found.setdefault(".".join(names), node.offset)
    elif isinstance(node, Has) and isinstance(node.operand, (Access, Ident)) and not shadowed:
        inner = node.operand
        if isinstance(inner, Ident) and inner.name == root:
            found.setdefault(node.field, node.field_offset if node.field_offset >= 0 else node.offset)
    if isinstance(node, Comprehension):
        _field_paths(node.range, root, found, shadowed)
        for arg in node.args:
            _field_paths(arg, root, found, shadowed or node.var == root)
        return
    for child in children(node):
        _field_paths(child, root, found, shadowed)
