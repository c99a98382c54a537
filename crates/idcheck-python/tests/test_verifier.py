"""The Verifier against the sandbox on loopback: verdicts, fallback, costs, the ledger (never
paying twice, proven by the sandbox's own per-person counts), errors and Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

import idcheck
import idcheck.testing
from images import png

ZHANG_SAN = ("11010519491231002X", "张三")
ZHAO_LIU = ("510107197801010041", "赵六")  # on record as 赵大六: a mismatch
SUN_QI = ("330106199909090054", "孙七")  # not on record


def make(sandbox: idcheck.testing.Sandbox, ledger: str, *vendors: str, **options: object) -> idcheck.Verifier:
    return idcheck.Verifier(
        list(vendors) or ["idcardcert", "checkone"],
        prices={"idcardcert": Decimal("0.07"), "checkone": "0.05"} if not vendors else None,
        base_url=sandbox.base_url,
        appcode=sandbox.appcode,
        ledger=ledger,
        **options,  # type: ignore[arg-type]
    )


def test_match_mismatch_and_fallback_with_costs(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    with make(sandbox, ledger_path) as verifier:
        assert verifier.vendors == ["idcardcert", "checkone"]
        result = verifier.verify_identity(*ZHANG_SAN)
        assert (result.verdict, result.reason, result.provider) == ("match", None, "idcardcert")
        assert result.is_match and not result.reused
        assert result.billed_calls == 1 and result.cost_yuan == Decimal("0.070")
        assert isinstance(result.cost_yuan, Decimal)
        assert (result.id, result.name) == ("110105********002X", "张*")
        assert result.gateway_request_id and result.raw_code == "01"
        assert result.route == [("idcardcert", "match", "billed")]

        mismatch = verifier.verify_identity(*ZHAO_LIU)
        assert mismatch.verdict == "mismatch" and not mismatch.is_match

        nobody = verifier.verify_identity(*SUN_QI)
        assert (nobody.verdict, nobody.reason, nobody.provider) == ("unverifiable", "no_record", "checkone")
        assert [step[0] for step in nobody.route] == ["idcardcert", "checkone"]
        assert nobody.billed_calls == 2 and nobody.cost_yuan == Decimal("0.120")

        again = verifier.verify_identity(*ZHANG_SAN)
        assert again.reused and again.billed_calls == 0 and again.cost_yuan == Decimal("0.000")
    billed = sandbox.billed_by_person()
    assert billed[ZHANG_SAN[0]] == 1 and billed[ZHAO_LIU[0]] == 1 and billed[SUN_QI[0]] == 2


def test_two_verifiers_on_one_ledger_pay_once_per_person(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    first = make(sandbox, ledger_path)
    second = make(sandbox, ledger_path)
    people = [ZHANG_SAN, ZHAO_LIU, SUN_QI, ("310104198506120035", "李四")]
    for person in people:
        assert not first.verify_identity(*person).reused
    for person in people:
        answer = second.verify_identity(*person)
        assert answer.reused and answer.billed_calls == 0
    first.close()
    second.close()
    # A third, opened later on the same file, pays nothing either.
    with make(sandbox, ledger_path) as third:
        assert third.verify_identity(*ZHANG_SAN).reused
    billed = sandbox.billed_by_person()
    assert {person[0]: billed[person[0]] for person in people} == {
        ZHANG_SAN[0]: 1, ZHAO_LIU[0]: 1, SUN_QI[0]: 2, "310104198506120035": 1,
    }


def test_two_verifiers_racing_on_one_ledger_pay_once(ledger_path: str) -> None:
    # Each answer takes 300 ms: both threads ask while the first call is in flight.
    with idcheck.testing.Sandbox(latency=0.3) as sandbox:
        verifiers = [make(sandbox, ledger_path, "idcardcert") for _ in range(2)]
        results: list[idcheck.VerifyResult] = []
        errors: list[BaseException] = []

        def ask(verifier: idcheck.Verifier) -> None:
            try:
                results.append(verifier.verify_identity(*ZHANG_SAN))
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=ask, args=(v,)) for v in verifiers for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert [r.verdict for r in results] == ["match"] * 6
        assert sum(r.billed_calls for r in results) == 1
        assert sandbox.billed_by_person() == {ZHANG_SAN[0]: 1}


def test_mobile_and_face_checks(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    with make(sandbox, ledger_path, "checkphone") as phone:
        result = phone.verify_mobile(*ZHANG_SAN, "13800138000")
        assert result.verdict == "match" and result.mobile == "138****8000"
        assert "0013" not in repr(result)
        other = phone.verify_mobile(*ZHANG_SAN, idcheck.parse_mobile("13912345678"))
        assert other.verdict == "mismatch"
    with make(sandbox, ledger_path, "facever") as face:
        photo = png(120, 160)
        result = face.verify_face(idcheck.parse_id(ZHANG_SAN[0]), idcheck.parse_name(ZHANG_SAN[1]), photo)
        # The built-in people have no photo on file.
        assert (result.verdict, result.reason) == ("unverifiable", "no_photo_on_file")
        with pytest.raises(idcheck.PhotoError):
            face.verify_face(*ZHANG_SAN, b"not a photo")


def test_invalid_input_is_refused_before_anything_is_sent(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    with make(sandbox, ledger_path) as verifier:
        with pytest.raises(idcheck.IdError):
            verifier.verify_identity("110105194912310021", "张三")
        with pytest.raises(idcheck.PersonNameError):
            verifier.verify_identity(ZHANG_SAN[0], "张 三")
        with pytest.raises(idcheck.MobileError):
            verifier.verify_mobile(*ZHANG_SAN, "1440123456789")
    assert sandbox.billed_total() == 0


def test_errors_say_whether_a_retry_can_help(ledger_path: str, tmp_path: Path) -> None:
    with idcheck.testing.Sandbox() as sandbox:
        wrong = idcheck.Verifier(["idcardcert"], base_url=sandbox.base_url, appcode="not-the-code-0123", ledger=ledger_path)
        with pytest.raises(idcheck.NotRetryableError) as refused:
            wrong.verify_identity(*ZHANG_SAN)
        error = refused.value
        assert (error.kind, error.retry, error.billing) == ("unauthenticated", "never", "not_billed")
        assert error.provider == "idcardcert" and error.id == "110105********002X" and error.name == "张*"
        assert "not-the-code" not in str(error) and "not-the-code" not in repr(wrong)
        assert ZHANG_SAN[0] not in str(error) and "1949" not in str(error)
        wrong.close()
    with idcheck.testing.Sandbox(quota=0) as empty:
        with make(empty, str(tmp_path / "q.sqlite"), "idcardcert") as verifier:
            with pytest.raises(idcheck.NotRetryableError) as exhausted:
                verifier.verify_identity(*ZHANG_SAN)
            assert exhausted.value.kind == "quota_exhausted"
    # Nobody listens on a closed port: nothing was sent, a retry is safe.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = idcheck.Verifier(["idcardcert"], base_url=f"http://127.0.0.1:{port}", appcode="sandbox", ledger=str(tmp_path / "n.sqlite"))
    with pytest.raises(idcheck.RetryableError) as unreachable:
        nowhere.verify_identity(*ZHANG_SAN)
    assert (unreachable.value.kind, unreachable.value.retry) == ("transport_connect", "safe")
    assert unreachable.value.billed_calls == 0


def test_a_timeout_may_have_been_billed_and_is_not_sent_again(ledger_path: str) -> None:
    with idcheck.testing.Sandbox(latency=1.5) as slow:
        with make(slow, ledger_path, "idcardcert", timeout=0.3) as verifier:
            with pytest.raises(idcheck.MayChargeAgainError) as timed_out:
                verifier.verify_identity(*ZHANG_SAN)
            assert (timed_out.value.kind, timed_out.value.retry) == ("transport_timeout", "may_charge_again")
            assert timed_out.value.maybe_billed_calls == 1
            # The ledger holds it as unresolved: not sent again by itself.
            with pytest.raises(idcheck.NotRetryableError) as unresolved:
                verifier.verify_identity(*ZHANG_SAN)
            assert unresolved.value.kind == "unresolved"


def test_setup_errors_send_nothing(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    common = {"base_url": sandbox.base_url, "appcode": sandbox.appcode, "ledger": ledger_path}
    with pytest.raises(idcheck.SetupError, match="unknown vendor"):
        idcheck.Verifier(["nosuchvendor"], **common)  # type: ignore[arg-type]
    with pytest.raises(idcheck.SetupError, match="no vendor"):
        idcheck.Verifier([], **common)  # type: ignore[arg-type]
    with pytest.raises(idcheck.SetupError, match="not among the vendors"):
        idcheck.Verifier(["idcardcert"], prices={"checkone": 1}, **common)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="three decimal places"):
        idcheck.Verifier(["idcardcert"], prices={"idcardcert": "0.0701"}, **common)  # type: ignore[arg-type]
    with pytest.raises(idcheck.SetupError, match="credentials"):
        idcheck.Verifier(["idcardcert"], base_url=sandbox.base_url, ledger=ledger_path)
    with pytest.raises(idcheck.SetupError, match="base URL"):
        idcheck.Verifier(["idcardcert"], base_url="127.0.0.1:1", appcode="x", ledger=ledger_path)
    with pytest.raises(ValueError):
        idcheck.Verifier(["idcardcert"], timeout=0, appcode="x", ledger=ledger_path)
    assert sandbox.billed_total() == 0


def test_the_environment_gives_credentials_and_the_ledger(sandbox: idcheck.testing.Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDCHECK_APPCODE", sandbox.appcode)
    monkeypatch.setenv("IDCHECK_LEDGER", str(tmp_path / "env.sqlite"))
    with idcheck.Verifier("idcardcert", base_url=sandbox.base_url) as verifier:
        assert verifier.ledger.endswith("env.sqlite")
        assert verifier.verify_identity(*ZHANG_SAN).verdict == "match"
        assert verifier.created_ledger_key is None  # IDCHECK_LEDGER_KEY was set
    assert (tmp_path / "env.sqlite").exists()


def test_repr_shows_no_secret(sandbox: idcheck.testing.Sandbox, ledger_path: str) -> None:
    secret = "S3cretAppCode0123456789abcdef"
    verifier = idcheck.Verifier(["idcardcert"], base_url=sandbox.base_url, appcode=secret, ledger=ledger_path)
    shown = repr(verifier) + str(verifier)
    assert secret not in shown and "S3cret" not in shown
    assert shown.startswith("Verifier(vendors=['idcardcert'], base_url='http://127.0.0.1:")
    assert os.environ["IDCHECK_LEDGER_KEY"] not in shown
    verifier.close()
    with pytest.raises(RuntimeError, match="closed"):
        verifier.verify_identity(*ZHANG_SAN)


def test_ctrl_c_interrupts_a_blocking_call_and_the_call_is_still_recorded(ledger_path: str, ctrl_c: None) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.fail("signals are delivered to the main thread only")
    with idcheck.testing.Sandbox(latency=1.0) as slow:
        with make(slow, ledger_path, "idcardcert") as verifier:
            timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
            started = time.monotonic()
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                verifier.verify_identity(*ZHANG_SAN)
            assert time.monotonic() - started < 0.9  # before the answer came
            timer.join()
            # The call went on: asking again joins it (or reads the ledger), nothing new is paid.
            answer = verifier.verify_identity(*ZHANG_SAN)
            assert answer.verdict == "match" and answer.billed_calls == 0
        assert slow.billed_by_person() == {ZHANG_SAN[0]: 1}


def test_a_postgresql_ledger_is_shared_too(sandbox: idcheck.testing.Sandbox) -> None:
    # Like the ledger crate's own tests: IDCHECK_TEST_POSTGRES (default the local server), a
    # schema of its own; the test fails, rather than skips, when the server is unreachable.
    import secrets

    base = os.environ.get("IDCHECK_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
    url = f"{base}{'&' if '?' in base else '?'}schema=py_{secrets.token_hex(6)}"
    first = make(sandbox, url, "idcardcert")
    second = make(sandbox, url, "idcardcert")
    assert "postgres" in first.ledger
    assert not first.verify_identity(*ZHANG_SAN).reused
    assert second.verify_identity(*ZHANG_SAN).reused
    first.close()
    second.close()
    assert sandbox.billed_by_person() == {ZHANG_SAN[0]: 1}
