"""The rules of docs/architecture.md that neither import-linter nor ruff checks, held by the tests."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "numpynn"
MODULES = sorted(PACKAGE.rglob("*.py"))


def test_no_module_reads_another_modules_private_names():
    found = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("numpynn"):
                found += [f"{path}:{node.lineno} imports {a.name}" for a in node.names if _private(a.name)]
            if isinstance(node, ast.Attribute) and _private(node.attr) and not _own(node.value):
                found.append(f"{path}:{node.lineno} reads {ast.unparse(node)}")
    assert not found, "\n".join(found)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _own(value: ast.expr) -> bool:
    """self, cls, super(), type(self), a class naming its own method, or a module-level private name."""
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls", "Layer") or value.id.startswith("_")
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id in ("super", "type")
    return False


def test_no_module_is_named_like_a_standard_library_module():
    clashes = [str(path) for path in MODULES if path.stem in sys.stdlib_module_names and path.stem != "__init__"]
    clashes += [str(path) for path in PACKAGE.rglob("*") if path.is_dir() and path.name in sys.stdlib_module_names]
    assert not clashes, clashes


def test_the_tests_mirror_the_package():
    packages = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").is_file()}
    folders = {path.name for path in (ROOT / "tests").iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert folders - {"integration", "data"} <= packages, folders - packages
    assert not list((ROOT / "tests").glob("test_*.py")), "a test file belongs in the folder of its package"
