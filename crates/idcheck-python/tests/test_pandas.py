"""Columns of pandas and polars, without either being a dependency of the package."""

from __future__ import annotations

import importlib.util

import pytest

import idcheck

VALUES = ["11010519491231002X", "110105194912310021", None, "130503670401001"]
EXPECTED = [None, "check character expected X, found 1", "empty ID number", None]


def test_a_pandas_series() -> None:
    pd = pytest.importorskip("pandas")
    series = pd.Series(VALUES)
    assert idcheck.check_ids(series) == EXPECTED
    assert idcheck.check_ids(pd.Series(VALUES, dtype="string")) == EXPECTED  # pd.NA
    frame = pd.DataFrame({"id": VALUES, "name": ["张三", "李四", "王五", "张 三"]})
    frame["id_error"] = idcheck.check_ids(frame["id"])
    frame["name_error"] = idcheck.check_names(frame["name"])
    clean = frame[frame["id_error"].isna() & frame["name_error"].isna()]
    assert list(clean.index) == [0]
    assert idcheck.check_ids(frame["id"].iloc[:0]) == []


def test_a_polars_series() -> None:
    if importlib.util.find_spec("polars") is None:
        pytest.skip("polars is not installed")
    import polars as pl

    assert idcheck.check_ids(pl.Series(VALUES)) == EXPECTED


def test_a_numpy_array() -> None:
    np = pytest.importorskip("numpy")
    assert idcheck.check_ids(np.array(["11010519491231002X", "1"])) == [None, "wrong length: expected 18 (or 15) characters, found 1"]


def test_pandas_is_not_a_dependency() -> None:
    import subprocess
    import sys

    code = "import sys, idcheck; idcheck.check_ids(['1']); print('pandas' in sys.modules, 'polars' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False False"
