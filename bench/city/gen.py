#!/usr/bin/env python3
"""Deterministic synthetic city data for bench/city/run.sh (python3 stdlib only).

Writes into OUT_DIR, in Cordon's own import formats (`cordon import places`,
`cordon import residents`):
  places.csv     市,区,街道,社区,小区,卡口 — COMPOUNDS compounds (default 2,000) of
                 哈尔滨市, 10 to a community, 10 communities to a street, 20
                 streets to a district: 2,000 compounds are one district
                 (道外区), 20,000 are ten. One checkpoint each. (市 and 区 are
                 given because a fresh database has no district.) Street names
                 are unique in the city, since a resident row names no district.
  residents.csv  街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签 — N rows
                 (default 1,000,000) spread evenly over the compounds, filled building
                 by building like `cordon demo`: households of 1-5 people (cycling
                 1,2,2,3,3,3,4,5), 3 entrances x 6 floors x 2 doors a building.

ID numbers: area code 230104, birth dates 1940-01-01..2015-12-31, unique (a
bijection of the row number onto (birth date, sequence): up to 27,759,000
rows), last character the GB 11643 / ISO 7064 MOD 11-2 check. Phones: 11
digits, 13/15/18, all distinct. About 2% of rows carry a tag (透析 or 独居老人).
Names and tags come from one random.Random(SEED): the same arguments give the
same bytes. The rows are written as they are made (constant memory, ~20 MB),
so 10,000,000 residents in 20,000 compounds are as easy as a million.

Usage: gen.py OUT_DIR [--residents N] [--compounds M] [--seed S] [--check]
       (fan-out: --per-community 10 --communities 10 --streets 20)
"""

import argparse
import datetime
import math
import os
import random
import time

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
AREA = "230104"
FIRST_DAY = datetime.date(1940, 1, 1)
DAYS = (datetime.date(2015, 12, 31) - FIRST_DAY).days + 1
ID_SPACE = DAYS * 1000
HOUSEHOLD_SIZES = [1, 2, 2, 3, 3, 3, 4, 5]
ENTRANCES, FLOORS, DOORS = 3, 6, 2
HEADER = "街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签\n"

CITY = "哈尔滨市"
DISTRICTS = "道外区 道里区 南岗区 香坊区 平房区 松北区 呼兰区 阿城区 双城区".split()
STREET_WORDS = "靖宇 太古 东莱 大兴 新一 振华 南马 滨江 崇俭 荟芳 胜利 化工 三棵树 团结 永源 民主 巨源 城乡 民强 仁里".split()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力斌宇浩凯鹏飞欣怡子涵晨阳雪梅海燕志刚春雨丹冬梅佳琪博文思远"


def check_char(body17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(body17, WEIGHTS)) % 11]


def _multiplier() -> int:
    a = 7_368_787
    while math.gcd(a, ID_SPACE) != 1:
        a += 2
    return a


ID_MULTIPLIER = _multiplier()


class IdNumbers:
    """Row number -> ID number: a bijection of 0..DAYS*1000 (gcd(A, DAYS*1000) == 1),
    so each row gets its own (birth date, 3-digit sequence) pair, spread over all
    days. The first 14 digits and their weighted sum are kept per day, the last
    three per sequence, so a row costs two look-ups."""

    def __init__(self):
        self.days = []
        for d in range(DAYS):
            head = f"{AREA}{FIRST_DAY + datetime.timedelta(days=d):%Y%m%d}"
            self.days.append((head, sum(int(c) * w for c, w in zip(head, WEIGHTS))))
        self.seqs = []
        for s in range(1000):
            tail = f"{s:03d}"
            self.seqs.append((tail, sum(int(c) * w for c, w in zip(tail, WEIGHTS[14:]))))

    def __call__(self, i: int) -> str:
        day, seq = divmod((i * ID_MULTIPLIER + 12_345) % ID_SPACE, 1000)
        head, hs = self.days[day]
        tail, ts = self.seqs[seq]
        return head + tail + CHECK[(hs + ts) % 11]


def phone(i: int) -> str:
    # 10^9 is 2^9 * 5^9; an odd multiplier not divisible by 5 is a bijection.
    n = (i * 123_456_791 + 987_654) % 1_000_000_000
    return ("13", "15", "18")[i % 3] + f"{n:09d}"


def places(args):
    """[(district, street, community, compound, checkpoint)] in file order: exactly
    args.compounds compounds, districts filled one after the other."""
    out = []
    per_district = args.streets * args.communities * args.per_community
    for d in range(math.ceil(args.compounds / per_district)):
        district = DISTRICTS[d] if d < len(DISTRICTS) else f"第{d + 1}区"
        for s in range(args.streets):
            g = d * args.streets + s  # the street's number in the city: its name is unique
            word = STREET_WORDS[g % len(STREET_WORDS)] + ("" if g < len(STREET_WORDS) else str(g // len(STREET_WORDS)))
            street = f"{word}街道"
            for c in range(args.communities):
                community = f"{word}第{c + 1}社区"
                for k in range(args.per_community):
                    if len(out) == args.compounds:
                        return out
                    out.append((district, street, community, f"{word}{c + 1}-{k + 1}号小区", "东门卡口"))
    return out


def write_residents(path, tree, n, rng):
    """Streams n rows to path; returns how many carry a tag."""
    ids = IdNumbers()
    below = rng._randbelow  # what rng.choice calls: the same numbers, without the call
    n_surnames, n_given = len(SURNAMES), len(GIVEN)
    tagged = 0
    i = 0
    per_building = ENTRANCES * FLOORS * DOORS
    with open(path, "w", encoding="utf-8", newline="", buffering=1 << 20) as f:
        f.write(HEADER)
        for ci, (_, street, community, compound, _) in enumerate(tree):
            lines = []
            rows_here = (ci + 1) * n // len(tree) - ci * n // len(tree)
            household = 0
            size_at = 0
            while rows_here > 0:
                size = min(HOUSEHOLD_SIZES[size_at % len(HOUSEHOLD_SIZES)], rows_here)
                size_at += 1
                b, rest = divmod(household, per_building)
                e, rest = divmod(rest, FLOORS * DOORS)
                fl, d = divmod(rest, DOORS)
                household += 1
                home = f"{street},{community},{compound},{b + 1}栋,{e + 1}单元,{fl + 1}0{d + 1}"
                for _ in range(size):
                    name = SURNAMES[below(n_surnames)] + "".join(GIVEN[below(n_given)] for _ in range(below(2) + 1))
                    r = rng.random()
                    tag = "透析" if r < 0.01 else "独居老人" if r < 0.02 else ""
                    tagged += tag != ""
                    lines.append(f"{home},{name},{ids(i)},{phone(i)},{tag}\n")
                    i += 1
                rows_here -= size
            f.write("".join(lines))
    assert i == n, (i, n)
    return tagged


def check(path, n):
    """Re-reads residents.csv: every ID number valid (a real birth date in range, the
    MOD 11-2 check character) and unique, every phone distinct. Bit sets instead of
    sets, so 10,000,000 rows need ~130 MB, not gigabytes."""
    heads = {}  # "230104YYYYMMDD" -> (day number, weighted sum of those 14 digits)
    for d in range(DAYS):
        head = f"{AREA}{FIRST_DAY + datetime.timedelta(days=d):%Y%m%d}"
        heads[head] = (d, sum(int(c) * w for c, w in zip(head, WEIGHTS)))
    w14, w15, w16 = WEIGHTS[14:]
    seen_ids = bytearray(ID_SPACE // 8 + 1)
    seen_phones = bytearray(10**9 // 8 + 1)  # the 9 digits after the prefix are distinct already
    rows = 0
    with open(path, encoding="utf-8") as f:
        assert f.readline() == HEADER
        for line in f:
            cells = line.rstrip("\n").split(",")
            assert len(cells) == 10, line
            x, p = cells[7], cells[8]
            day, hs = heads[x[:14]]  # KeyError: not 230104 and a birth date in range
            tail = x[14:17]
            assert len(x) == 18 and tail.isdigit(), x
            assert CHECK[(hs + int(tail[0]) * w14 + int(tail[1]) * w15 + int(tail[2]) * w16) % 11] == x[17], x
            k = day * 1000 + int(tail)
            assert not seen_ids[k >> 3] & (1 << (k & 7)), f"duplicate ID number {x}"
            seen_ids[k >> 3] |= 1 << (k & 7)
            assert len(p) == 11 and p[:2] in ("13", "15", "18"), p
            k = int(p[2:])
            assert not seen_phones[k >> 3] & (1 << (k & 7)), f"duplicate phone {p}"
            seen_phones[k >> 3] |= 1 << (k & 7)
            rows += 1
    assert rows == n, (rows, n)
    print(f"checked: {rows} unique valid ID numbers, {rows} distinct phones")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--residents", "--rows", dest="residents", type=int, default=1_000_000)
    ap.add_argument("--compounds", type=int, default=2_000, help="compounds in all (default 2000)")
    ap.add_argument("--per-community", type=int, default=10, help="compounds to a community")
    ap.add_argument("--communities", type=int, default=10, help="communities to a street")
    ap.add_argument("--streets", type=int, default=20, help="streets to a district")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--check", action="store_true", help="verify uniqueness and check characters after writing")
    args = ap.parse_args()
    if args.residents < 1 or args.compounds < 1 or min(args.per_community, args.communities, args.streets) < 1:
        ap.error("sizes must be at least 1")
    if args.residents > ID_SPACE:
        ap.error(f"at most {ID_SPACE} residents (unique ID numbers)")
    os.makedirs(args.out_dir, exist_ok=True)
    started = time.monotonic()
    rng = random.Random(args.seed)
    tree = places(args)

    with open(os.path.join(args.out_dir, "places.csv"), "w", newline="", encoding="utf-8") as f:
        f.write("市,区,街道,社区,小区,卡口\n")
        for district, street, community, compound, checkpoint in tree:
            f.write(f"{CITY},{district},{street},{community},{compound},{checkpoint}\n")

    path = os.path.join(args.out_dir, "residents.csv")
    tagged = write_residents(path, tree, args.residents, rng)
    districts = len({t[0] for t in tree})
    print(
        f"wrote {len(tree)} compounds in {districts} district(s), {args.residents} residents ({tagged} tagged) "
        f"to {args.out_dir} in {time.monotonic() - started:.1f} s"
    )
    if args.check:
        check(path, args.residents)


if __name__ == "__main__":
    main()
