"""Shared fixtures. No test touches the user's home: every test runs with a random ledger key
in IDCHECK_LEDGER_KEY, HOME and the XDG directories in a temporary folder, and no
credentials in the environment. HTTP goes to the sandbox on loopback only."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

import idcheck
import idcheck.testing

REPO = Path(__file__).resolve().parents[3]
PEOPLE_CSV = REPO / "examples" / "people.csv"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("IDCHECK_LEDGER_KEY", secrets.token_hex(32))
    for name in ("IDCHECK_LEDGER", "IDCHECK_APPCODE", "IDCHECK_APP_KEY", "IDCHECK_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ctrl_c() -> Iterator[None]:
    """Python's own Ctrl-C handler (raise KeyboardInterrupt), whatever this process inherited:
    a process started in the background by a non-interactive shell ignores SIGINT."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def sandbox() -> Iterator[idcheck.testing.Sandbox]:
    with idcheck.testing.Sandbox() as running:
        yield running


@pytest.fixture
def ledger_path(tmp_path: Path) -> str:
    return str(tmp_path / "ledger.sqlite")


def find_cli() -> Path:
    """The `idcheck` binary the Rust results come from: IDCHECK_CLI, else the workspace's
    debug build. A missing binary fails the test: the comparison must run."""
    given = os.environ.get("IDCHECK_CLI")
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for candidate in (target / "debug" / "idcheck", target / "release" / "idcheck"):
        if candidate.exists():
            return candidate
    on_path = shutil.which("idcheck")
    if on_path:
        return Path(on_path)
    pytest.fail(
        "the idcheck CLI is needed to compare with the Rust results: "
        "`cargo build -p idcheck-cli` or set IDCHECK_CLI"
    )


@pytest.fixture(scope="session")
def idcheck_cli() -> Path:
    return find_cli()


def run_cli(cli: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cli), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
