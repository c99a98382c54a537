"""Chinese real-name verification (实名认证) at Rust speed.

Offline, free, one input or a whole column at a time::

    >>> import idcheck
    >>> idcheck.parse_id("11010519491231002X")
    IdNumber('110105********002X')
    >>> idcheck.check_ids(["11010519491231002X", "110105194912310021"])
    [None, 'check character expected X, found 1']

Paid, through the Alibaba Cloud marketplace vendors, every call claimed and recorded in the
ledger of paid calls so that nobody is paid for twice: :class:`Verifier`, :func:`batch`.

Every rule is the Rust core's (``idcheck-core``); this package is a thin binding. ID numbers,
names and mobiles show only masked in ``repr``, ``str`` and exception messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from os import PathLike
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from ._idcheck import (
    DEFAULT_MAX_BASE64_LEN,
    DEFAULT_MIN_SIDE,
    IdError,
    IdNumber,
    InvalidInputError,
    MayChargeAgainError,
    Mobile,
    MobileError,
    Name,
    Nationality,
    NotRetryableError,
    PersonNameError,
    Photo,
    PhotoError,
    Region,
    RetryableError,
    SetupError,
    Verifier,
    VerifyError,
    VerifyResult,
    __version__,
    check_ids,
    check_mobiles,
    check_names,
    check_photo,
    fit_photo,
    parse_id,
    parse_mobile,
    parse_name,
    run_batch as _run_batch,
)

__all__ = [
    "DEFAULT_MAX_BASE64_LEN",
    "DEFAULT_MIN_SIDE",
    "BatchResult",
    "IdError",
    "IdNumber",
    "InvalidInputError",
    "MayChargeAgainError",
    "Mobile",
    "MobileError",
    "Name",
    "Nationality",
    "NotRetryableError",
    "PersonNameError",
    "Photo",
    "PhotoError",
    "Region",
    "RetryableError",
    "SetupError",
    "Verifier",
    "VerifyError",
    "VerifyResult",
    "__version__",
    "batch",
    "check_ids",
    "check_mobiles",
    "check_names",
    "check_photo",
    "fit_photo",
    "parse_id",
    "parse_mobile",
    "parse_name",
]

Price = Union[Decimal, str, int, float]


@dataclass(frozen=True)
class BatchResult:
    """What :func:`batch` did: phase 1's counts, phase 2's calls, and the output rows.

    ``results`` holds one dict per input row (the JSON Lines output: ``row``, ``status``,
    ``provider``, ``raw_code``, request ids, ``billed_calls``, ``same_as_row``, ``detail``,
    and the inputs masked) when no ``output`` file was given; it is left out of ``repr``.
    """

    rows: int
    valid: int
    distinct: int
    rejected: int
    duplicates: int
    dry_run: bool
    encoding: str
    delimiter: str
    routed: int = 0
    from_ledger: int = 0
    unfinished: int = 0
    unresolved: int = 0
    stopped: bool = False
    fatal: Optional[str] = None
    billed_calls: int = 0
    cost_yuan: Optional[Decimal] = None
    output: Optional[str] = None
    results: Optional[list[dict[str, Any]]] = field(default=None, repr=False)


def batch(
    path: Union[str, PathLike[str]],
    *,
    vendors: Optional[Sequence[str]] = None,
    check: str = "identity",
    prices: Optional[Mapping[str, Price]] = None,
    base_url: Optional[str] = None,
    ledger: Optional[str] = None,
    timeout: float = 20.0,
    appcode: Optional[str] = None,
    app_key: Optional[str] = None,
    app_secret: Optional[str] = None,
    by_price: bool = False,
    fresh: bool = False,
    resend_unresolved: bool = False,
    concurrency: int = 8,
    rate: float = 20.0,
    output: Optional[Union[str, PathLike[str]]] = None,
    format: str = "csv",
    unmasked: bool = False,
    id_column: Optional[str] = None,
    name_column: Optional[str] = None,
    mobile_column: Optional[str] = None,
    photo_column: Optional[str] = None,
    delimiter: Optional[str] = None,
    fit_photos: bool = False,
    progress: Optional[Callable[[int, int, int], object]] = None,
    sheet: Optional[Union[str, int]] = None,
) -> BatchResult:
    """Runs the batch engine on a file of people, as ``idcheck batch`` does.

    Phase 1 (always, offline) reads the file: a workbook (``.xlsx``, ``.xls``, ``.ods`` …;
    its first visible sheet, or ``sheet`` by name or place from 1; IDs Excel stored as
    numbers or rounded are rejected naming Excel) or CSV (UTF-8, UTF-16 or GB18030; ``,``
    ``;`` or tab),
    finds the columns by header (``id``/``身份证号``, ``name``/``姓名``, ``mobile``/``手机号``,
    ``photo``/``照片``, or ``id_column`` …) and rejects invalid rows for free. Without
    ``vendors`` it stops there (a dry run). With ``vendors`` (asked in order), phase 2 sends
    each distinct valid request once through the ledger (``ledger``: a SQLite path,
    ``postgres://…``; default ``IDCHECK_LEDGER`` or the user's file): re-running, or another
    file with the same people, pays nothing twice.

    The output goes to ``output`` (``format`` ``"csv"`` or ``"jsonl"``), else it is returned
    as ``BatchResult.results``, inputs masked unless ``unmasked``. ``progress(answered,
    total, billed_calls)`` is called as answers come; an exception it raises stops the run
    (calls in flight finish and are recorded) and is raised again. A first Ctrl-C does the
    same; a second stops at once (those calls stay unresolved in the ledger).

    Raises :class:`SetupError` for a file or setting that cannot be used (nothing sent), and
    when the run stopped by itself (credentials refused, the ledger failed): then its
    ``result`` attribute holds the :class:`BatchResult` so far.
    """
    summary = _run_batch(
        path,
        vendors=vendors,
        check=check,
        prices=dict(prices) if prices is not None else None,
        base_url=base_url,
        ledger=ledger,
        timeout=timeout,
        appcode=appcode,
        app_key=app_key,
        app_secret=app_secret,
        by_price=by_price,
        fresh=fresh,
        resend_unresolved=resend_unresolved,
        concurrency=concurrency,
        rate=rate,
        output=output,
        format=format,
        unmasked=unmasked,
        id_column=id_column,
        name_column=name_column,
        mobile_column=mobile_column,
        photo_column=photo_column,
        delimiter=delimiter,
        fit_photos=fit_photos,
        progress=progress,
        sheet=None if sheet is None else str(sheet),
    )
    lines = summary.pop("lines", None)
    results = (
        [json.loads(line) for line in lines.splitlines() if line]
        if isinstance(lines, str)
        else None
    )
    result = BatchResult(
        output=None if output is None else str(output),
        results=results,
        **summary,
    )
    if result.fatal is not None:
        error = SetupError(result.fatal)
        error.result = result  # type: ignore[attr-defined]
        raise error
    return result
