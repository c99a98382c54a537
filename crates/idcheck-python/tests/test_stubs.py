"""The typed stubs match the compiled module exactly: every public name, every public member
of every class, and every parameter of every function and method, is in both or in neither."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any, Optional

import idcheck
import idcheck.testing
from idcheck import _idcheck

STUB = Path(idcheck.__file__).with_name("_idcheck.pyi")
Def = ast.FunctionDef


def parse_stub() -> tuple[dict[str, Optional[Def]], dict[str, dict[str, Optional[Def]]]]:
    """Module-level names (a function's definition, else None) and each class's members."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    names: dict[str, Optional[Def]] = {}
    members: dict[str, dict[str, Optional[Def]]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = None
            found: dict[str, Optional[Def]] = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[item.name] = item
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    found[item.target.id] = None
            members[node.name] = found
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = None
    public = {n: d for n, d in names.items() if not n.startswith("_") or n == "__version__"}
    return public, members


def runtime_names() -> set[str]:
    return {n for n in dir(_idcheck) if not n.startswith("_") or n == "__version__"}


def stub_parameters(definition: Def) -> list[str]:
    args = definition.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    return [n for n in names if n != "self"]


def runtime_parameters(callable_: Any) -> list[str]:
    out = []
    for parameter in inspect.signature(callable_).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            out.append("*" + parameter.name.lstrip("_"))
        elif parameter.name not in ("self", "slf", "$self"):
            out.append(parameter.name)
    return out


def test_every_module_name_is_in_the_stub_and_back() -> None:
    names, _ = parse_stub()
    assert set(names) == runtime_names()


def test_every_function_has_the_stubbed_parameters() -> None:
    names, _ = parse_stub()
    for name, definition in names.items():
        value = getattr(_idcheck, name)
        if definition is not None:
            assert stub_parameters(definition) == runtime_parameters(value), name


def test_every_class_member_is_in_the_stub_and_back() -> None:
    _, members = parse_stub()
    for name in runtime_names():
        value = getattr(_idcheck, name)
        if not inspect.isclass(value):
            continue
        stubbed = members[name]
        if issubclass(value, BaseException):
            # Exceptions made in Rust: their attributes are set on each instance.
            continue
        own = vars(value)
        public = {m for m in own if not m.startswith("_")}
        public |= {m for m in ("__enter__", "__exit__") if m in own}
        constructible = getattr(value, "__text_signature__", None) is not None
        if constructible:
            public.add("__init__")
        shown = {m for m in stubbed if not m.startswith("_") or m in ("__enter__", "__exit__", "__init__")}
        assert shown == public, name
        for member, definition in stubbed.items():
            if definition is None or member.startswith("__") and member != "__init__":
                continue
            if member == "__init__":
                assert stub_parameters(definition) == runtime_parameters(value), name
            elif not isinstance(own[member], property) and type(own[member]).__name__ != "getset_descriptor":
                parameters = [p for p in stub_parameters(definition)]
                assert parameters == runtime_parameters(getattr(value, member))[0:], f"{name}.{member}"


def test_the_package_exports_what_it_says() -> None:
    for name in idcheck.__all__:
        assert hasattr(idcheck, name), name
    assert idcheck.testing.Sandbox is _idcheck.Sandbox
    assert set(idcheck.__all__) >= {n for n in runtime_names() if n != "run_batch" and n != "Sandbox"}
