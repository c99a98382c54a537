"""The bindings against the Rust results: the `idcheck` CLI's JSON over generated corpora,
field by field, for single parses and the bulk checks (both their paths)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, Optional

import pytest

import idcheck
from conftest import run_cli
from corpus import id_numbers, mobiles, names


def cli_json(cli: Path, command: str, inputs: list[str], *flags: str) -> list[dict[str, Any]]:
    done = run_cli(cli, command, "--json", *flags, "-", stdin="\n".join(inputs) + "\n")
    assert done.returncode in (0, 1), done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["input"] for line in lines] == list(range(1, len(inputs) + 1))
    return lines


def parsed_id(text: str, strict: bool) -> tuple[Optional[idcheck.IdNumber], Optional[str]]:
    try:
        return idcheck.parse_id(text, strict=strict), None
    except idcheck.IdError as error:
        return None, str(error)


def region_json(region: Optional[idcheck.Region]) -> Optional[dict[str, Any]]:
    if region is None:
        return None
    return {
        "code": region.code,
        "province": region.province,
        "prefecture": region.prefecture,
        "county": region.county,
        "current_name": region.current_name,
        "status": region.status,
        "abolished_in": region.abolished_in,
    }


@pytest.mark.parametrize("strict", [False, True])
def test_ids_match_the_cli_field_by_field(idcheck_cli: Path, strict: bool) -> None:
    corpus = id_numbers(3000)
    flags = ("--strict",) if strict else ()
    expected = cli_json(idcheck_cli, "id", corpus, *flags)
    valid = 0
    for text, rust in zip(corpus, expected):
        id_number, error = parsed_id(text, strict)
        assert (id_number is not None) == rust["valid"], (text, rust)
        if id_number is None:
            assert error == rust["error"]
            continue
        valid += 1
        assert id_number.masked == rust["masked"]
        assert repr(id_number) == f"IdNumber('{rust['masked']}')"
        assert id_number.kind == rust["kind"]
        assert (15 if id_number.is_15_digit else 18) == rust["digits"]
        assert id_number.birthday == datetime.date.fromisoformat(rust["birthday"])
        assert id_number.age == rust["age"]
        assert id_number.sex == rust["sex"]
        assert region_json(id_number.region) == rust.get("region")
        nationality = id_number.nationality
        if "nationality" in rust:
            assert nationality is not None
            assert nationality.code == rust["nationality"]["numeric"]
            assert nationality.alpha3 == rust["nationality"]["alpha3"]
            assert nationality.name_zh == rust["nationality"]["name_zh"]
            assert nationality.status == rust["nationality"]["status"]
            province = id_number.issuing_province
            assert province is not None
            assert {"code": province.code, "name": province.name} == rust["issuing_province"]
        else:
            assert nationality is None and id_number.issuing_province is None
    # The corpus exercises both answers in bulk.
    assert 300 < valid < len(corpus) - 300
    assert idcheck.check_ids(corpus, strict=strict) == [
        None if rust["valid"] else rust["error"] for rust in expected
    ]


def test_bulk_paths_agree_with_the_cli_on_a_large_column(idcheck_cli: Path) -> None:
    # Over 32k items the core runs on every thread: the answer must keep the order.
    corpus = id_numbers(50_000, seed=99)
    expected = [None if r["valid"] else r["error"] for r in cli_json(idcheck_cli, "id", corpus)]
    assert idcheck.check_ids(corpus) == expected
    # Item by item (a missing value forces that path): the same answers, None as empty.
    with_missing = corpus + [None]
    assert idcheck.check_ids(with_missing) == expected + [str(parsed_id("", False)[1])]
    # A tuple, a generator.
    assert idcheck.check_ids(tuple(corpus[:1000])) == expected[:1000]
    assert idcheck.check_ids(x for x in corpus[:1000]) == expected[:1000]


def test_a_line_break_inside_a_value_keeps_the_rows_apart(idcheck_cli: Path) -> None:
    values = ["11010519491231002X", "110105\n19491231002X", "", "130503670401001"]
    answers = idcheck.check_ids(values)
    assert len(answers) == 4
    assert answers[0] is None and answers[3] is None
    assert answers[1] == parsed_id(values[1], False)[1]
    assert answers[2] == "empty ID number"


def test_mobiles_match_the_cli(idcheck_cli: Path) -> None:
    corpus = mobiles(2000)
    for accept in (False, True):
        flags = ("--accept-data-cards",) if accept else ()
        expected = cli_json(idcheck_cli, "mobile", corpus, *flags)
        for text, rust in zip(corpus, expected):
            try:
                mobile = idcheck.parse_mobile(text, accept_data_cards=accept)
            except idcheck.MobileError as error:
                assert not rust["valid"], text
                assert str(error) == rust["error"]
                continue
            assert rust["valid"], text
            assert mobile.masked == rust["masked"]
            assert mobile.segment == rust["segment"]
            assert mobile.kind == rust["kind"]
            assert mobile.original_carrier == rust["original_carrier"]
            assert mobile.original_carrier_zh == rust["original_carrier_zh"]
        assert idcheck.check_mobiles(corpus, accept_data_cards=accept) == [
            None if r["valid"] else r["error"] for r in expected
        ]
        assert 100 < sum(r["valid"] for r in expected) < len(corpus) - 100


def test_names_match_the_cli(idcheck_cli: Path) -> None:
    corpus = names(2000)
    expected = cli_json(idcheck_cli, "name", corpus)
    for text, rust in zip(corpus, expected):
        try:
            name = idcheck.parse_name(text)
        except idcheck.PersonNameError as error:
            assert not rust["valid"], text
            assert str(error) == rust["error"]
            continue
        assert rust["valid"], text
        assert name.masked == rust["masked"]
        assert name.char_count == rust["characters"]
        assert name.is_transliterated == rust["dotted"]
    assert idcheck.check_names(corpus) == [None if r["valid"] else r["error"] for r in expected]
    assert 100 < sum(r["valid"] for r in expected) < len(corpus) - 100


def test_what_a_number_says() -> None:
    zhang = idcheck.parse_id(" 11010519491231002x ")
    assert zhang.as_str() == "11010519491231002X"
    assert zhang.birthday == datetime.date(1949, 12, 31)
    assert zhang.age_on(datetime.date(2000, 1, 1)) == 50
    assert zhang.age_on(datetime.date(1949, 1, 1)) is None
    assert zhang == idcheck.parse_id("11010519491231002X")
    assert len({zhang, idcheck.parse_id("11010519491231002X")}) == 1
    old = idcheck.parse_id("130503670401001")
    assert old.is_15_digit and not old.to_18().is_15_digit
    assert old.to_18().as_str() == "130503196704010016"
    region = old.region
    assert region is not None
    assert (region.name, region.current_name, region.year) == ("桥西区", "信都区", 1967)
    assert region.in_year(2021).name == "信都区"
    assert [span[0] for span in region.history] == ["桥西区", "信都区"]
    # An ID keeps its address code for life; strict mode refuses a birth after abolition.
    assert idcheck.parse_id("342401200101010019").region is not None
    with pytest.raises(idcheck.IdError) as refused:
        idcheck.parse_id("342401200101010019", strict=True)
    assert refused.value.code == "born_after_region_abolished"
