#!/usr/bin/env python3
"""Fails when a module imports one that imports it back, in any crate of the workspace.

An edge A -> B is counted for every `use` (and every inline `crate::`/`super::` path) in A's
file that names B or something inside B; `mod b;` declarations are not imports. Paths are
resolved to the longest module they name, so `use crate::db::actions::list::Cursor` is an edge
to `db::actions::list`. SeaORM entities that relate to each other both ways are allowed
(`db::entities`), as the architecture notes say.

Usage: scripts/module_cycles.py [CRATE_SRC_DIR ...]   (default: every crate of the workspace)
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CRATES = ["crates/allocator/src", "crates/api/src", "crates/domain/src", "frontend/src", "migrations/src"]
ALLOWED_CYCLE_PREFIXES = ["db::entities"]


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def strip_comments_and_strings(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def expand(tree: str) -> list:
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = tree.strip()
    brace = tree.find("{")
    if brace == -1:
        return [tree.split(" as ")[0].strip()]
    prefix, body = tree[:brace], tree[brace + 1 : tree.rfind("}")]
    items, depth, current = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        current += ch
    items.append(current)
    return [p for item in items if item.strip() for p in expand(prefix + item.strip())]


def resolve(path: str, here: tuple, is_mod_file: bool) -> tuple | None:
    segments = [s for s in path.split("::") if s]
    if not segments:
        return None
    if segments[0] == "crate":
        return tuple(segments[1:])
    base = list(here)
    if segments[0] in ("self", "super"):
        while segments and segments[0] in ("self", "super"):
            if segments.pop(0) == "super":
                base = base[:-1]
        return tuple(base + segments)
    return None  # an external crate, or a child module by its bare name (handled below)


def edges_of(src: Path, modules: set) -> dict:
    edges = {}
    for file in src.rglob("*.rs"):
        here = module_of(src, file)
        text = strip_comments_and_strings(file.read_text())
        paths = []
        for statement in re.findall(r"\buse\s+([^;]+);", text):
            paths.extend(expand(statement))
        paths.extend(re.findall(r"\b((?:crate|super)(?:::\w+)+)", text))
        targets = edges.setdefault(here, set())
        children = {m[-1] for m in modules if len(m) == len(here) + 1 and m[: len(here)] == here}
        for path in paths:
            first = path.split("::")[0]
            if first in children:  # `use child::Item` in a parent
                resolved = here + tuple(path.split("::"))
            else:
                resolved = resolve(path, here, file.name == "mod.rs")
            if resolved is None:
                continue
            target = max(
                (m for m in modules if resolved[: len(m)] == m),
                key=len,
                default=(),
            )
            if target != here and target != () and here[: len(target)] != target:
                targets.add(target)
    return edges


def cycles(edges: dict) -> list:
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def name(module: tuple) -> str:
    return "::".join(module) or "crate"


def main() -> int:
    sys.setrecursionlimit(10_000)
    crates = sys.argv[1:] or DEFAULT_CRATES
    failed = False
    for crate in crates:
        src = (ROOT / crate).resolve()
        modules = {module_of(src, f) for f in src.rglob("*.rs")}
        edges = edges_of(src, modules)
        for component in cycles(edges):
            names = [name(m) for m in component]
            if all(any(n.startswith(p) for p in ALLOWED_CYCLE_PREFIXES) for n in names):
                continue
            failed = True
            print(f"{crate}: modules import each other: {', '.join(names)}")
            for a in component:
                for b in sorted(edges.get(a, ())):
                    if b in component:
                        print(f"    {name(a)} -> {name(b)}")
        count = sum(len(t) for t in edges.values())
        print(f"{crate}: {len(modules)} modules, {count} import edges")
    if failed:
        print("module cycles found: move what both sides need into a module of its own")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
