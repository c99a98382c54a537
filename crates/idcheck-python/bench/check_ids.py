"""How fast `idcheck.check_ids` checks a column of ID numbers, against python-stdnum's
`stdnum.cn.ric.is_valid` (and `id-validator` if installed) on the same column.

    pip install python-stdnum            # the comparison
    python bench/check_ids.py --count 1000000 --rounds 5

The column is 1,000,000 generated numbers (about 80 % valid, the rest with the usual typos),
the same for every contender. idcheck is timed end to end from a Python list of str to the
Python list of answers (collecting the strings, the core over all of them with the GIL
released, building the answer); stdnum is timed over a sample (it is 4 orders of magnitude
slower) and reported per ID; `--sample 0` times it once over the whole column. Each figure is the best of `--rounds` runs: other processes on the
machine only ever make a run slower.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import idcheck  # noqa: E402
from corpus import check_character  # noqa: E402

CODES = ["110105", "110103", "130503", "370521", "440305", "510107", "650102", "310104", "330106"]


def column(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        body = f"{rng.choice(CODES)}{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        number = body + check_character(body)
        roll = rng.random()
        if roll < 0.10:
            number = number[:17] + ("0" if number[17] != "0" else "1")
        elif roll < 0.15:
            number = number[:-1]
        elif roll < 0.20:
            number = number[:5] + "O" + number[6:]
        out.append(number)
    return out


def best(rounds: int, run: object) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample", type=int, default=20_000, help="IDs timed for stdnum (0: all of them, once)")
    args = parser.parse_args()
    ids = column(args.count)
    print(f"python {platform.python_version()}, idcheck {idcheck.__version__}, {os.cpu_count()} CPUs, {args.count:,} IDs, best of {args.rounds}")

    answers = idcheck.check_ids(ids)
    ours = best(args.rounds, lambda: idcheck.check_ids(ids))
    print(f"idcheck.check_ids          {ours:8.3f} s  {ours / args.count * 1e9:8.1f} ns/ID  ({sum(a is None for a in answers):,} valid)")
    ours_one = best(args.rounds, lambda: [idcheck.check_ids(ids[i : i + 1000]) for i in range(0, min(args.count, 200_000), 1000)])
    print(f"  in chunks of 1,000       {ours_one / min(args.count, 200_000) * 1e9:8.1f} ns/ID")

    try:
        import pandas as pd

        series = pd.Series(ids)
        t = best(args.rounds, lambda: idcheck.check_ids(series))
        print(f"  from a pandas Series     {t / args.count * 1e9:8.1f} ns/ID  (pandas {pd.__version__}, dtype {series.dtype})")
    except ImportError:
        pass
    try:
        import polars as pl

        pseries = pl.Series(ids)
        t = best(args.rounds, lambda: idcheck.check_ids(pseries))
        print(f"  from a polars Series     {t / args.count * 1e9:8.1f} ns/ID  (polars {pl.__version__})")
    except ImportError:
        pass
    mobiles = [f"1{rng_digit}{i:09d}"[:11] for i, rng_digit in zip(range(args.count), "38593765" * (args.count // 8 + 1))]
    t = best(args.rounds, lambda: idcheck.check_mobiles(mobiles))
    print(f"idcheck.check_mobiles      {t:8.3f} s  {t / args.count * 1e9:8.1f} ns/mobile")
    names = ["张三", "欧阳娜娜", "阿卜杜·热合曼", "王小明", "张 三"] * (args.count // 5)
    t = best(args.rounds, lambda: idcheck.check_names(names))
    print(f"idcheck.check_names        {t:8.3f} s  {t / len(names) * 1e9:8.1f} ns/name")

    sample = ids[: args.sample] if args.sample else ids
    try:
        from stdnum.cn import ric
    except ImportError:
        print("python-stdnum is not installed: pip install python-stdnum")
        return

    def stdnum_column() -> list[bool]:
        out = []
        for number in sample:
            try:
                out.append(ric.is_valid(number))
            except Exception:  # noqa: BLE001 - stdnum raises KeyError on unknown regions
                out.append(False)
        return out

    theirs = best(args.rounds if args.sample else 1, stdnum_column) / len(sample)
    print(f"stdnum.cn.ric.is_valid                 {theirs * 1e9:8.1f} ns/ID  (over {len(sample):,})")
    print(f"speed-up over stdnum: {theirs / (ours / args.count):,.0f}x")
    try:
        from id_validator import validator  # type: ignore[import-not-found]
    except ImportError:
        return
    few = ids[:200]
    slow = best(1, lambda: [validator.is_valid(n) for n in few]) / len(few)
    print(f"id_validator.is_valid                  {slow * 1e9:8.1f} ns/ID  (over {len(few):,}); speed-up {slow / (ours / args.count):,.0f}x")


if __name__ == "__main__":
    main()
