"""A program a user might write, checked by `mypy --strict` in CI against the package's stubs
(it is not a test module; `python tests/typing_sample.py` runs it against the sandbox)."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal
from typing import Optional

import pandas as pd

import idcheck
import idcheck.testing


def describe(text: str) -> str:
    try:
        number: idcheck.IdNumber = idcheck.parse_id(text, strict=True)
    except idcheck.IdError as error:
        code: str = error.code
        return f"invalid ({code}): {error}"
    birthday: datetime.date = number.birthday
    age: Optional[int] = number.age
    region: Optional[idcheck.Region] = number.region
    place = region.name if region is not None else None
    return f"{number.masked} {number.sex} {number.kind} {birthday.year} {age} {place}"


def column(values: list[Optional[str]]) -> int:
    reasons: list[Optional[str]] = idcheck.check_ids(values)
    names: list[Optional[str]] = idcheck.check_names(v for v in values if v is not None)
    mobiles: list[Optional[str]] = idcheck.check_mobiles(("13800138000",), accept_data_cards=True)
    return sum(r is None for r in reasons) + len(names) + len(mobiles)


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    frame["id_error"] = idcheck.check_ids(frame["id"])
    frame["name_error"] = idcheck.check_names(frame["name"])
    return frame[frame["id_error"].isna() & frame["name_error"].isna()]


def verify(sandbox: idcheck.testing.Sandbox, ledger: str) -> Decimal:
    prices: dict[str, Decimal] = {"idcardcert": Decimal("0.07")}
    with idcheck.Verifier(["idcardcert"], prices=prices, base_url=sandbox.base_url,
                          appcode=sandbox.appcode, ledger=ledger) as verifier:
        try:
            result: idcheck.VerifyResult = verifier.verify_identity("11010519491231002X", "张三")
        except idcheck.RetryableError as error:
            print("try again later:", error.kind, error.gateway_request_id)
            return Decimal(0)
        except idcheck.VerifyError as error:
            print("no verdict:", error.retry, error.billing, error.cost_yuan)
            return Decimal(0)
        if result.verdict == "unverifiable":
            print(result.reason)
        steps: list[tuple[str, str, str]] = result.route
        print(len(steps), result.reused, result.gateway_request_id)
        return result.cost_yuan if result.cost_yuan is not None else Decimal(0)


async def verify_many(verifier: idcheck.Verifier, people: list[tuple[str, str]]) -> list[str]:
    results = await asyncio.gather(*(verifier.verify_identity_async(i, n) for i, n in people))
    return [r.verdict for r in results]


def run_batch(path: str) -> int:
    seen: list[int] = []
    result: idcheck.BatchResult = idcheck.batch(path, progress=lambda done, total, billed: seen.append(done))
    rows = result.results or []
    return result.rejected + len(rows)


def photo(data: bytes) -> int:
    fitted: bytes = idcheck.fit_photo(data)
    checked: idcheck.Photo = idcheck.check_photo(fitted)
    return checked.base64_len or 0


if __name__ == "__main__":
    import os
    import secrets
    import tempfile

    os.environ.setdefault("IDCHECK_LEDGER_KEY", secrets.token_hex(32))
    print(describe("11010519491231002X"), column(["11010519491231002X", None]))
    with idcheck.testing.Sandbox() as running, tempfile.TemporaryDirectory() as folder:
        print(verify(running, os.path.join(folder, "ledger.sqlite")))
