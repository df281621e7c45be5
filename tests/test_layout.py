"""The folders are the architecture: service -> agents -> tools, no import cycles, small modules.

Imports are read from the source (every `import` statement, function-level ones too;
`if TYPE_CHECKING:` blocks are left out because they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tools.settings import REPO_ROOT

PACKAGES = ("gateway", "pizzeria_agent", "ecommerce_agent", "tools", "eval", "benchmarks")
LAYER = {"benchmarks": 4, "gateway": 3, "eval": 3, "pizzeria_agent": 2, "ecommerce_agent": 2, "tools": 1}
"""A module may import only from its own package or from packages of a lower layer."""
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports (a `from package import module` names the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if _type_checking_only(node) for n in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}
    return {m for m in found if m in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) - {name} for name, path in modules.items()}


def test_each_layer_imports_only_from_layers_below() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if (a := module.split(".")[0]) != (b := target.split(".")[0]) and LAYER[b] >= LAYER[a]
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_module_is_over_400_lines() -> None:
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_folder_says_what_lives_there() -> None:
    silent = []
    for package in PACKAGES:
        for folder in [REPO_ROOT / package, *(p for p in (REPO_ROOT / package).rglob("*") if p.is_dir())]:
            if folder.name == "__pycache__" or not any(folder.glob("*.py")):
                continue
            init = folder / "__init__.py"
            documented = (folder / "README.md").exists() or (init.exists() and ast.get_docstring(ast.parse(init.read_text())))
            if not documented:
                silent.append(str(folder.relative_to(REPO_ROOT)))
    assert silent == []
