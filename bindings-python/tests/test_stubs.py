"""The committed stub matches the runtime module and type-checks a typed example."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import thresholds

STUB = Path(thresholds.__file__).with_name("__init__.pyi")
HERE = Path(__file__).parent


def _stub_tree():
    return ast.parse(STUB.read_text(encoding="utf-8"))


def test_py_typed_is_shipped():
    assert Path(thresholds.__file__).with_name("py.typed").exists()


def test_stub_names_match_runtime():
    tree = _stub_tree()
    names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    for name in thresholds.__all__:
        assert name in names, f"{name} is public but not in the stub"
        assert hasattr(thresholds, name)
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        runtime = getattr(thresholds, cls.name, None)
        if runtime is None:
            continue  # typing-only helpers (TypedDicts)
        for item in cls.body:
            if isinstance(item, ast.FunctionDef) and not item.name.startswith("__"):
                assert hasattr(runtime, item.name), f"{cls.name}.{item.name} is in the stub only"


def test_mypy_accepts_typed_example():
    pytest.importorskip("mypy")
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null",
         str(HERE / "typed_example.py")],
        capture_output=True, text=True, cwd=HERE,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_rejects_misuse(tmp_path):
    pytest.importorskip("mypy")
    bad = tmp_path / "bad.py"
    bad.write_text("import thresholds\nx: int = thresholds.default().evaluate({}).level\n")
    r = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null", str(bad)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1 and "Incompatible types" in r.stdout
