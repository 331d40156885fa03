"""Packaging: every sub-package is installed under `chinwag.`, storage stays free of
Textual, and `chinwag --version` imports neither Textual nor sqlite-utils.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    for top in ("app", "widgets", "storage"):
        for init in (ROOT / top).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT).parts
            assert "chinwag." + ".".join(relative) in listed, f"{init.parent} missing from pyproject packages"


def modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_storage_does_not_import_textual_or_network_libraries():
    loaded = modules_after("import chinwag.storage; import chinwag.storage.store")
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "httpx", "openai", "anthropic", "pydantic_ai")}


def test_version_is_light():
    code = "import sys; sys.argv = ['chinwag', '--version']\nfrom chinwag.app.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    loaded = modules_after(code)
    assert "textual" not in loaded and "sqlite_utils" not in loaded


def test_the_layer_contracts_hold():
    """The layers (storage pure data, widgets pure views, core without Textual, front ends
    over core over agents over config) are import-linter contracts in pyproject.toml."""
    result = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                             "sys.exit(lint_imports_command())"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "4 kept, 0 broken" in result.stdout


def test_the_api_models_load_only_when_serving():
    """pydantic and the API's models cost start-up time: only `chinwag serve` pays it."""
    code = ("import sys; sys.argv = ['chinwag', '--version']\nfrom chinwag.app.cli.main import main\n"
            "import chinwag.app.api.serve\ntry:\n    main()\nexcept SystemExit:\n    pass")
    loaded = modules_after(code)
    assert not {m for m in loaded if m.split(".")[0] == "pydantic" or m.startswith("chinwag.app.api.models")}
    assert "chinwag.app.api.models" in modules_after("import chinwag.app.api.app")


# Packages whose function-level imports are checked: all of Chinwag's code.
LAZY_CHECKED = ("storage", "widgets", "app")
LAZY_PENDING: tuple[str, ...] = ()


def function_level_imports(path: Path) -> list[tuple[int, str]]:
    import ast

    lines = path.read_text().splitlines()
    found = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    found.add((inner.lineno, lines[inner.lineno - 1].strip()))
    return sorted(found)


def test_function_level_imports_say_why():
    """An import inside a function is there for start-up time (or a cycle) and says so."""
    unexplained = []
    for part in LAZY_CHECKED:
        target = ROOT / part
        for path in [target] if target.is_file() else sorted(target.rglob("*.py")):
            if str(path.relative_to(ROOT)) in LAZY_PENDING:
                continue
            unexplained += [f"{path.relative_to(ROOT)}:{n}: {line}" for n, line in function_level_imports(path)
                            if "# lazy:" not in line]
    assert not unexplained, "function-level imports without a `# lazy:` reason:\n" + "\n".join(unexplained)


def test_every_dataclass_has_a_docstring():
    """What a row or a message is, said once; and on Python 3.11 a dataclass without one builds
    it from `inspect.signature` at import (~0.2 ms each: ~80 of them load at start-up)."""
    import ast

    bare = []
    for part in LAZY_CHECKED:
        for path in sorted((ROOT / part).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef) and not ast.get_docstring(node) and any(
                        "dataclass" in ast.unparse(decorator) for decorator in node.decorator_list):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}")
    assert not bare, "dataclasses without a docstring:\n" + "\n".join(bare)


def test_the_agent_registry_loads_no_sdk():
    """What the lazy imports buy: naming, listing and configuring agents loads no provider or ACP SDK."""
    loaded = modules_after("import chinwag.app.agents, chinwag.app.agents.settings, chinwag.app.core.worker")
    heavy = {m.split(".")[0] for m in loaded} & {"pydantic_ai", "openai", "anthropic", "acp", "textual"}
    assert not heavy and "chinwag.app.core.runner" not in loaded


MAX_MODULE_LINES = 500


def test_no_module_is_over_500_lines():
    """Small modules with one job: a module that grows past 500 lines is split by topic."""
    long = {str(path.relative_to(ROOT)): n for package in ("storage", "widgets", "app")
            for path in (ROOT / package).rglob("*.py")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: {long}"
