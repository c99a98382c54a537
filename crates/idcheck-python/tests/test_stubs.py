"""The typed stubs match the compiled module exactly: every public name, and every public
member of every class, is in both or in neither."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import idcheck
from idcheck import _idcheck

STUB = Path(idcheck.__file__).with_name("_idcheck.pyi")


def stub_names() -> tuple[set[str], dict[str, set[str]]]:
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    names: set[str] = set()
    members: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
            found = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    found.add(item.target.id)
            members[node.name] = found
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") or n == "__version__"}, members


def runtime_names() -> set[str]:
    return {n for n in dir(_idcheck) if not n.startswith("_") or n == "__version__"}


def public_members(cls: type) -> set[str]:
    own = set(vars(cls))
    wanted = {n for n in own if not n.startswith("_")}
    # Dunders the class defines itself that users call (not Python's defaults).
    wanted |= {n for n in ("__enter__", "__exit__", "__init__") if n in own or (n == "__init__" and "__new__" in own)}
    return wanted


def test_every_module_name_is_in_the_stub_and_back() -> None:
    names, _ = stub_names()
    assert names == runtime_names()


def test_every_class_member_is_in_the_stub_and_back() -> None:
    _, members = stub_names()
    for name in runtime_names():
        value = getattr(_idcheck, name)
        if not inspect.isclass(value):
            continue
        stubbed = {m for m in members[name] if not m.startswith("_") or m in ("__enter__", "__exit__", "__init__")}
        if issubclass(value, BaseException):
            # Exceptions made in Rust: their attributes are set on each instance.
            assert name in members
            continue
        assert stubbed - {"__eq__", "__hash__"} == public_members(value), name


def test_the_package_exports_what_it_says() -> None:
    for name in idcheck.__all__:
        assert hasattr(idcheck, name), name
    import idcheck.testing

    assert idcheck.testing.Sandbox is _idcheck.Sandbox
