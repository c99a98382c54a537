"""Generated inputs for comparing the bindings with the Rust CLI: valid numbers of every kind
and the usual mistakes, from a seeded generator (the same corpus on every run)."""

from __future__ import annotations

import random

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

# Current, abolished, renamed and unknown codes; permits; provinces that do not exist.
ADDRESS_CODES = [
    "110105", "110103", "130503", "370521", "342401", "440305", "510107", "650102",
    "310104", "330106", "420102", "210102", "110000", "110100", "460000", "469001",
    "810000", "820000", "830000", "110199", "440399", "200105", "990101", "000000",
]


def check_character(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def _birthday(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.80:
        year = rng.randint(1900, 2025)
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
    elif roll < 0.88:  # impossible dates
        year = rng.randint(1900, 2020)
        month, day = rng.choice([(2, 30), (2, 29), (13, 1), (0, 10), (4, 31), (6, 0)])
    elif roll < 0.94:  # the future
        year, month, day = rng.randint(2031, 2099), rng.randint(1, 12), rng.randint(1, 28)
    else:  # too early, or edge years
        year, month, day = rng.choice([1850, 1859, 1860, 1899]), 1, 1
    return f"{year:04d}{month:02d}{day:02d}"


def id_number(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.06:  # foreigners' permanent residence ID: 9, province, nationality
        body = f"9{rng.choice(['11', '31', '44', '99'])}{rng.choice(['840', '156', '999', '392'])}"
        body += _birthday(rng) + f"{rng.randint(0, 999):03d}"
    elif kind < 0.16:  # 15-digit first generation
        code = rng.choice(ADDRESS_CODES)
        digits = code + f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 31):02d}"
        return digits + f"{rng.randint(0, 999):03d}"
    else:
        body = rng.choice(ADDRESS_CODES) + _birthday(rng) + f"{rng.randint(0, 999):03d}"
    number = body + check_character(body)
    roll = rng.random()
    if roll < 0.15:  # a typo in the check character
        number = number[:17] + rng.choice([c for c in "0123456789X" if c != number[17]])
    elif roll < 0.18:  # one digit dropped or added
        number = number[:-1] if rng.random() < 0.5 else number + "1"
    elif roll < 0.21:  # a letter O for a zero, a stray character
        at = rng.randint(0, 16)
        number = number[:at] + rng.choice("OlI-.a中") + number[at + 1 :]
    elif roll < 0.24 and number.endswith("X"):
        number = number[:17] + rng.choice(["x", "Ｘ", "ｘ"])
    elif roll < 0.27:  # full-width digits, as some keyboards type them
        number = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() and rng.random() < 0.5 else c for c in number)
    elif roll < 0.30:
        number = " " + number + "\u3000"
    return number


def id_numbers(count: int, seed: int = 2026) -> list[str]:
    rng = random.Random(seed)
    return [id_number(rng) for _ in range(count)]


def mobiles(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    prefixes = ["130", "138", "139", "145", "147", "150", "162", "165", "170", "1703", "1705",
                "1349", "174", "17406", "186", "192", "199", "1440", "1410", "146", "100", "120",
                "154", "140", "111", "198", "1064"]
    out = []
    for _ in range(count):
        prefix = rng.choice(prefixes)
        rest = "".join(rng.choice("0123456789") for _ in range(11 - len(prefix)))
        number = prefix + rest
        roll = rng.random()
        if roll < 0.1:
            number = "+86 " + number[:3] + "-" + number[3:7] + "-" + number[7:]
        elif roll < 0.15:
            number = "0086" + number
        elif roll < 0.2:
            number = number[:-1]
        elif roll < 0.25:
            number = "+852 " + number
        elif roll < 0.28:
            number = number[:5] + "a" + number[6:]
        elif roll < 0.31:
            number = "".join(chr(ord(c) + 0xFEE0) for c in number)
        elif roll < 0.34:
            number = number + "12"
        out.append(number)
    return out


def names(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    han = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文𠮷〇"
    extra = ["·", "•", "・", ".", " ", "a", "3", "😀", "\u200b", "！", "ー", "Ａ"]
    out = []
    for _ in range(count):
        length = rng.choice([1, 2, 2, 3, 3, 3, 4, 6, 12, 33])
        chars = [rng.choice(han) for _ in range(length)]
        if rng.random() < 0.3:
            at = rng.randint(0, len(chars))
            chars.insert(at, rng.choice(extra))
        if rng.random() < 0.05:
            chars = [" "] + chars + [" "]
        out.append("".join(chars))
    return out
