"""`idcheck.batch`: the engine on examples/people.csv, a dry run against the CLI's own output,
then paid runs against the sandbox that pay once per person across runs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import idcheck
import idcheck.testing
from conftest import PEOPLE_CSV, run_cli


def test_a_dry_run_is_the_cli_dry_run(idcheck_cli: Path) -> None:
    result = idcheck.batch(PEOPLE_CSV)
    assert result.dry_run
    assert (result.rows, result.valid, result.distinct, result.rejected, result.duplicates) == (21, 14, 11, 7, 3)
    done = run_cli(idcheck_cli, "batch", str(PEOPLE_CSV), "--dry-run", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert result.results == [json.loads(line) for line in done.stdout.splitlines()]
    assert "results" not in repr(result)
    shown = json.dumps(result.results, ensure_ascii=False)
    assert "11010519491231002X" not in shown and "张三" not in shown


def test_paid_runs_pay_once_per_person(sandbox: idcheck.testing.Sandbox, ledger_path: str, tmp_path: Path) -> None:
    seen: list[tuple[int, int, int]] = []
    first = idcheck.batch(
        PEOPLE_CSV,
        vendors=["idcardcert", "checkone"],
        prices={"idcardcert": "0.07", "checkone": Decimal("0.05")},
        base_url=sandbox.base_url,
        appcode=sandbox.appcode,
        ledger=ledger_path,
        rate=0,
        progress=lambda done, total, billed: seen.append((done, total, billed)),
    )
    assert (first.routed, first.from_ledger, first.unfinished) == (11, 0, 0)
    # 11 calls to idcardcert at 0.07, and 孙七 (no record there) once more to checkone at 0.05.
    assert first.billed_calls == 12 and first.cost_yuan == Decimal("0.820")
    assert len(seen) == 11 and seen[-1][:2] == (11, 11) and seen[-1][2] == 12
    assert first.results is not None
    statuses = [row["status"] for row in first.results]
    assert [statuses.count(s) for s in ("match", "mismatch", "unverifiable", "rejected")] == [12, 1, 1, 7]
    # Again, into a CSV file: the ledger answers everything.
    output = tmp_path / "out.csv"
    second = idcheck.batch(
        PEOPLE_CSV, vendors=["idcardcert", "checkone"], base_url=sandbox.base_url,
        appcode=sandbox.appcode, ledger=ledger_path, output=output, rate=0,
    )
    assert (second.billed_calls, second.from_ledger, second.results) == (0, 11, None)
    assert second.output == str(output)
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("row,status,provider") and len(lines) == 22
    by_person = sandbox.billed_by_person()
    assert by_person.pop("330106199909090054") == 2  # 孙七: no record at idcardcert, then checkone
    assert set(by_person.values()) == {1} and len(by_person) == 10


def test_a_failing_progress_callback_stops_the_run(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    def progress(done: int, total: int, billed: int) -> None:
        raise ValueError("stop here")

    with pytest.raises(ValueError, match="stop here"):
        idcheck.batch(
            PEOPLE_CSV, vendors=["idcardcert"], base_url=sandbox.base_url,
            appcode=sandbox.appcode, ledger=ledger_path, concurrency=1, rate=0, progress=progress,
        )
    # What was sent was recorded: a new run pays only for the rest.
    paid = sandbox.billed_total()
    assert 1 <= paid < 11
    rest = idcheck.batch(
        PEOPLE_CSV, vendors=["idcardcert"], base_url=sandbox.base_url,
        appcode=sandbox.appcode, ledger=ledger_path, rate=0,
    )
    assert rest.from_ledger == paid and rest.billed_calls == 11 - paid


def test_setup_errors(sandbox: idcheck.testing.Sandbox, ledger_path: str, tmp_path: Path) -> None:
    with pytest.raises(idcheck.SetupError):
        idcheck.batch(tmp_path / "missing.csv")
    with pytest.raises(idcheck.SetupError, match="does not perform"):
        idcheck.batch(PEOPLE_CSV, vendors=["idcardcert"], check="mobile", base_url=sandbox.base_url, appcode="x", ledger=ledger_path)
    with pytest.raises(ValueError):
        idcheck.batch(PEOPLE_CSV, check="everything")
    with pytest.raises(ValueError):
        idcheck.batch(PEOPLE_CSV, concurrency=0, vendors=["idcardcert"])
    wrong = idcheck.testing.Sandbox()
    with pytest.raises(idcheck.SetupError) as refused:
        idcheck.batch(PEOPLE_CSV, vendors=["idcardcert"], base_url=wrong.base_url, appcode="wrong-code", ledger=ledger_path, rate=0)
    assert getattr(refused.value, "result").fatal and "wrong-code" not in str(refused.value)
    wrong.close()
    assert sandbox.billed_total() == 0


def test_ctrl_c_lets_the_calls_in_flight_finish_and_a_rerun_pays_only_the_rest(ledger_path: str, ctrl_c: None) -> None:
    import os
    import signal
    import threading

    with idcheck.testing.Sandbox(latency=0.2) as slow:
        options = dict(vendors=["idcardcert"], base_url=slow.base_url, appcode=slow.appcode, ledger=ledger_path, concurrency=2, rate=0)
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            idcheck.batch(PEOPLE_CSV, **options)  # type: ignore[arg-type]
        timer.join()
        paid = slow.billed_total()
        assert 1 <= paid < 11  # stopped early, the calls in flight answered
        rest = idcheck.batch(PEOPLE_CSV, **options)  # type: ignore[arg-type]
        assert rest.from_ledger == paid and rest.billed_calls == 11 - paid
        assert set(slow.billed_by_person().values()) == {1}


def test_a_workbook_sheet_is_read_like_the_cli_reads_it(idcheck_cli: Path, tmp_path: Path) -> None:
    # The CLI writes a workbook of the people, as given: its "results" sheet has id and name.
    workbook = tmp_path / "people.xlsx"
    done = run_cli(idcheck_cli, "batch", str(PEOPLE_CSV), "--dry-run", "--unmasked", "--output", str(workbook))
    assert done.returncode == 0, done.stderr
    by_name = idcheck.batch(workbook, sheet="results")
    by_place = idcheck.batch(workbook, sheet=1)
    assert (by_name.rows, by_name.valid, by_name.rejected) == (21, 14, 7)
    assert by_place.results == by_name.results
    cli = run_cli(idcheck_cli, "batch", str(workbook), "--sheet", "results", "--dry-run", "--format", "jsonl")
    assert cli.returncode == 0, cli.stderr
    assert by_name.results == [json.loads(line) for line in cli.stdout.splitlines()]
    with pytest.raises(idcheck.SetupError, match='"summary"'):
        idcheck.batch(workbook, sheet="名单")
    with pytest.raises(idcheck.SetupError, match="not a workbook"):
        idcheck.batch(PEOPLE_CSV, sheet=1)
