"""The package's import graph: every module imports on its own, and no module takes part in a cycle,
counting the imports inside functions too (an import moved into a function to dodge a cycle is still
one). `world/` and `control/` import nothing above them."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sandbox"


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(module: str) -> dict[str, int]:
    """The package's modules `module` imports (at any depth of its code), each with a line it does it on.
    `from a import b` imports a.b where that is a module, else a."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            if target in MODULES and target != module:
                found.setdefault(target, node.lineno)
    return found


GRAPH = {m: imports(m) for m in MODULES}


def cycles() -> list[list[str]]:
    """Each strongly connected group of more than one module (Tarjan's algorithm)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in GRAPH:
        if v not in index:
            visit(v)
    return out


def test_no_module_takes_part_in_an_import_cycle():
    assert cycles() == []


@pytest.mark.parametrize("layer", ["sandbox.world", "sandbox.control"])
def test_the_lower_layers_import_nothing_above_them(layer):
    allowed = ("sandbox.world", "sandbox.control") if layer == "sandbox.control" else ("sandbox.world",)
    above = {f"{m} -> {t}:{line}" for m, found in GRAPH.items() if m.startswith(layer)
             for t, line in found.items() if t != "sandbox" and not t.startswith(allowed)}
    assert above == set()


# Imports each module named on its command line in a child forked from a process that has imported no
# module of the package (the third-party libraries it uses are imported once, before, to keep it quick).
ALONE = """
import importlib, json, os, sys, traceback
import apispec, faker, flask, gunicorn.workers.gthread, marshmallow, orjson, werkzeug
failed = {}
for module in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            os._exit(0)
        except BaseException:
            os.write(write, traceback.format_exc().encode())
            os._exit(1)
    os.close(write)
    error = os.read(read, 1 << 16).decode()
    os.close(read)
    if os.waitpid(pid, 0)[1]:
        failed[module] = error.strip().splitlines()[-1] if error else "exited"
print(json.dumps(failed))
"""


def test_every_module_imports_on_its_own():
    modules = [m for m in MODULES if not m.endswith("__main__")]  # (that one runs the command line)
    run = subprocess.run([sys.executable, "-c", ALONE, *modules], capture_output=True, text=True, cwd=ROOT,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {}
