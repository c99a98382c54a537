"""The `_async` variants under asyncio: concurrent calls, cancellation, errors on await."""

from __future__ import annotations

import asyncio

import pytest

import idcheck
import idcheck.testing

PEOPLE = [
    ("11010519491231002X", "张三", "match"),
    ("310104198506120035", "李四", "match"),
    ("510107197801010041", "赵六", "mismatch"),
    ("330106199909090054", "孙七", "unverifiable"),
]


def test_concurrent_verifications(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    verifier = idcheck.Verifier(["idcardcert"], base_url=sandbox.base_url, appcode=sandbox.appcode, ledger=ledger_path)

    async def main() -> list[idcheck.VerifyResult]:
        # Each person asked three times at once: one call each.
        calls = [verifier.verify_identity_async(id, name) for id, name, _ in PEOPLE for _ in range(3)]
        return await asyncio.gather(*calls)

    results = asyncio.run(main())
    assert [r.verdict for r in results] == [v for _, _, v in PEOPLE for _ in range(3)]
    assert sum(r.billed_calls for r in results) == len(PEOPLE)
    assert sandbox.billed_by_person() == {id: 1 for id, _, _ in PEOPLE}
    verifier.close()


def test_errors_surface_on_await(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    verifier = idcheck.Verifier(["idcardcert", "checkphone"], base_url=sandbox.base_url, appcode=sandbox.appcode, ledger=ledger_path)

    async def main() -> None:
        pending = verifier.verify_identity_async("110105194912310021", "张三")
        with pytest.raises(idcheck.IdError):
            await pending
        with pytest.raises(idcheck.MobileError):
            await verifier.verify_mobile_async("11010519491231002X", "张三", "12345")
        result = await verifier.verify_mobile_async("11010519491231002X", "张三", "13800138000")
        assert result.verdict in ("match", "mismatch", "unverifiable")

    asyncio.run(main())
    verifier.close()


def test_a_cancelled_call_still_ends_and_is_recorded(ledger_path: str) -> None:
    with idcheck.testing.Sandbox(latency=0.5) as slow:
        verifier = idcheck.Verifier(["idcardcert"], base_url=slow.base_url, appcode=slow.appcode, ledger=ledger_path)

        async def main() -> idcheck.VerifyResult:
            task = asyncio.ensure_future(verifier.verify_identity_async("11010519491231002X", "张三"))
            await asyncio.sleep(0.1)  # let the call start (not waiting for a server)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await verifier.verify_identity_async("11010519491231002X", "张三")

        again = asyncio.run(main())
        assert again.verdict == "match" and again.billed_calls == 0
        assert slow.billed_by_person() == {"11010519491231002X": 1}
        verifier.close()


def test_without_a_running_loop(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    verifier = idcheck.Verifier(["idcardcert"], base_url=sandbox.base_url, appcode=sandbox.appcode, ledger=ledger_path)
    with pytest.raises(RuntimeError):
        verifier.verify_identity_async("11010519491231002X", "张三")
    loop = asyncio.new_event_loop()
    loop.close()
    asyncio.set_event_loop(loop)
    try:
        with pytest.raises(RuntimeError):
            verifier.verify_identity_async("11010519491231002X", "张三")
    finally:
        asyncio.set_event_loop(None)
    # Nothing was sent, and the blocking call still works.
    assert sandbox.billed_total() == 0
    assert verifier.verify_identity("11010519491231002X", "张三").verdict == "match"
    verifier.close()
