"""The import graph: the layers declared in pyproject.toml ([tool.importlinter]) hold, checked by import-linter,
and no two modules import each other in a circle, counting the imports hidden inside functions (an ast walk
over every file, since such an import runs only when its function does and no import order would reveal it).

Run as a script to see the graph's cycles and every function-local import with the comment that justifies it:
    python tests/test_import_layers.py
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "tools", "trainer", "knowledge", "ui")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module of tunewise, dotted
    line: int
    local: bool  # inside a function: runs only when the function does
    comment: str  # the text of a `#` comment on the import's line or the line above it


def module_files() -> dict[str, Path]:
    """Every module of the five packages: dotted name -> file."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _comment(lines: list[str], line: int) -> str:
    """A comment on the import's own line, or the comment line above the block of imports it belongs to."""
    own = lines[line - 1]
    if "#" in own:
        return own.split("#", 1)[1].strip()
    above = line - 2
    while above >= 0 and lines[above].strip().startswith(("import ", "from ")):
        above -= 1  # the imports grouped under one comment share it
    text = lines[above].strip() if above >= 0 else ""
    return text[1:].strip() if text.startswith("#") else ""


def imports_of(source: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    is_package = path.name == "__init__.py"
    out: list[Import] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:  # relative: from the importing module's package
                    package = source.split(".") if is_package else source.split(".")[:-1]
                    package = package[: len(package) - (child.level - 1)]
                    base = ".".join(package + ([base] if base else []))
                # `from a import b` imports module a.b when there is one, else the name b from module a
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in child.names]
            for name in names:
                target = _resolve(name, modules)
                if target and target != source:
                    out.append(Import(source, target, child.lineno, local, _comment(lines, child.lineno)))
            visit(child, inner)

    visit(tree, False)
    return out


def all_imports() -> list[Import]:
    modules = module_files()
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def cycles(imports: list[Import]) -> list[list[str]]:
    """Groups of modules that reach each other through imports (strongly connected components of two or more);
    each group holds at least one circle. Tarjan's algorithm, iterative."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.source, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(groups)


def test_no_import_cycles_between_modules_counting_function_local_imports():
    imports = all_imports()
    assert len(imports) > 200  # the walk really saw the project (≈ 300 imports between its modules)
    found = cycles(imports)
    assert found == [], "modules importing each other in a circle:\n" + "\n".join(" ↔ ".join(g) for g in found)


def test_the_cycle_finder_sees_a_circle_hidden_in_a_function(tmp_path):
    # the finder itself must be able to fail: a → b at module level, b → a inside a function
    modules = {"pkg": tmp_path / "pkg" / "__init__.py", "pkg.a": tmp_path / "pkg" / "a.py",
               "pkg.b": tmp_path / "pkg" / "b.py"}
    modules["pkg"].parent.mkdir()
    modules["pkg"].write_text("")
    modules["pkg.a"].write_text("from pkg import b\n")
    modules["pkg.b"].write_text("def f():\n    from pkg.a import thing  # late\n    return thing\n")
    imports = [i for name, path in modules.items() for i in imports_of(name, path, modules)]
    assert cycles(imports) == [["pkg.a", "pkg.b"]]
    assert [i.local for i in imports if i.source == "pkg.b"] == [True]


def test_every_function_local_import_says_why_it_is_local():
    # A late import hides a dependency; it is kept only for a heavy or optional module, with a comment saying so.
    silent = [f"{i.source}:{i.line} imports {i.target}" for i in all_imports() if i.local and not i.comment]
    assert silent == [], "function-local imports without a comment saying why:\n" + "\n".join(silent)


# Imported only inside a guarded function, for a feature the user installs on purpose (QLoRA, Liger's fused loss on
# CUDA).
OPTIONAL_PACKAGES = {"bitsandbytes", "liger_kernel"}


def test_every_third_party_package_our_code_imports_is_declared():
    import importlib.metadata
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0].lower().replace("_", "-")
                for req in project["dependencies"] + sum(project["optional-dependencies"].values(), [])}
    distributions = importlib.metadata.packages_distributions()  # import name -> the distributions providing it
    missing = set()
    for path in module_files().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in PACKAGES or top in OPTIONAL_PACKAGES:
                    continue
                dists = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
                if not dists & declared:
                    missing.add(f"{top} ({path.relative_to(ROOT)})")
    assert missing == set(), "imported but not declared in pyproject.toml: " + ", ".join(sorted(missing))


def test_import_linter_contracts_hold():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


if __name__ == "__main__":
    everything = all_imports()
    groups = cycles(everything)
    print(f"{len(everything)} imports between modules, {sum(i.local for i in everything)} inside functions")
    print(f"{len(groups)} cycle group(s)" + "".join(f"\n  {' ↔ '.join(g)}" for g in groups))
    for imp in everything:
        if imp.local:
            print(f"  local {imp.source}:{imp.line} -> {imp.target}  # {imp.comment or '(no comment)'}")
