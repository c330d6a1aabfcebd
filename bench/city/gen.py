#!/usr/bin/env python3
"""Deterministic synthetic city data for bench/city/run.sh (python3 stdlib only).

Writes into OUT_DIR:
  places.csv     市,区,街道,社区,小区,卡口 — one district (哈尔滨市/道外区) of
                 STREETS streets x COMMUNITIES communities x COMPOUNDS compounds
                 (default 20 x 10 x 10 = 2,000 compounds), one checkpoint each.
                 (市 and 区 are given because a fresh database has no district.)
  residents.csv  街道,社区,小区,楼栋,单元,房号,姓名,身份证号,手机号,标签 — N rows
                 (default 1,000,000) spread evenly over the compounds, filled building
                 by building like `cordon demo`: households of 1-5 people (cycling
                 1,2,2,3,3,3,4,5), 3 entrances x 6 floors x 2 doors a building.

ID numbers: area code 230104, birth dates 1940-01-01..2015-12-31, unique, last
character the GB 11643 / ISO 7064 MOD 11-2 check. Phones: 11 digits, 13/15/18,
all distinct. About 2% of rows carry a tag (透析 or 独居老人).

Usage: gen.py OUT_DIR [--rows N] [--streets 20 --communities 10 --compounds 10] [--check]
"""

import argparse
import csv
import datetime
import math
import os
import random

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
AREA = "230104"
FIRST_DAY = datetime.date(1940, 1, 1)
DAYS = (datetime.date(2015, 12, 31) - FIRST_DAY).days + 1
HOUSEHOLD_SIZES = [1, 2, 2, 3, 3, 3, 4, 5]
ENTRANCES, FLOORS, DOORS = 3, 6, 2

STREET_WORDS = "靖宇 太古 东莱 大兴 新一 振华 南马 滨江 崇俭 荟芳 胜利 化工 三棵树 团结 永源 民主 巨源 城乡 民强 仁里".split()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力斌宇浩凯鹏飞欣怡子涵晨阳雪梅海燕志刚春雨丹冬梅佳琪博文思远"


def check_char(body17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(body17, WEIGHTS)) % 11]


def id_number(i: int) -> str:
    # A bijection of 0..DAYS*1000 (gcd(A, DAYS*1000) == 1): each i gets its own
    # (birth date, 3-digit sequence) pair, spread over all days.
    space = DAYS * 1000
    a = 7_368_787
    while math.gcd(a, space) != 1:
        a += 2
    k = (i * a + 12_345) % space
    day, seq = divmod(k, 1000)
    birth = FIRST_DAY + datetime.timedelta(days=day)
    body = f"{AREA}{birth:%Y%m%d}{seq:03d}"
    return body + check_char(body)


def phone(i: int) -> str:
    # 10^9 is 2^9 * 5^9; an odd multiplier not divisible by 5 is a bijection.
    n = (i * 123_456_791 + 987_654) % 1_000_000_000
    return ("13", "15", "18")[i % 3] + f"{n:09d}"


def places(args):
    """[(street, community, compound, checkpoint)] in file order."""
    out = []
    for s in range(args.streets):
        word = STREET_WORDS[s % len(STREET_WORDS)] + ("" if s < len(STREET_WORDS) else str(s // len(STREET_WORDS)))
        street = f"{word}街道"
        for c in range(args.communities):
            community = f"{word}第{c + 1}社区"
            for k in range(args.compounds):
                compound = f"{word}{c + 1}-{k + 1}号小区"
                out.append((street, community, compound, "东门卡口"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--streets", type=int, default=20)
    ap.add_argument("--communities", type=int, default=10)
    ap.add_argument("--compounds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--check", action="store_true", help="verify uniqueness and check characters after writing")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = random.Random(args.seed)
    tree = places(args)

    with open(os.path.join(args.out_dir, "places.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["市", "区", "街道", "社区", "小区", "卡口"])
        for street, community, compound, checkpoint in tree:
            w.writerow(["哈尔滨市", "道外区", street, community, compound, checkpoint])

    n = args.rows
    tagged = 0
    with open(os.path.join(args.out_dir, "residents.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["街道", "社区", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "标签"])
        i = 0
        for ci, (street, community, compound, _) in enumerate(tree):
            rows_here = (ci + 1) * n // len(tree) - ci * n // len(tree)
            household = 0
            size_at = 0
            while rows_here > 0:
                size = min(HOUSEHOLD_SIZES[size_at % len(HOUSEHOLD_SIZES)], rows_here)
                size_at += 1
                b, rest = divmod(household, ENTRANCES * FLOORS * DOORS)
                e, rest = divmod(rest, FLOORS * DOORS)
                fl, d = divmod(rest, DOORS)
                household += 1
                for _ in range(size):
                    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
                    r = rng.random()
                    tag = "透析" if r < 0.01 else "独居老人" if r < 0.02 else ""
                    tagged += tag != ""
                    w.writerow([street, community, compound, f"{b + 1}栋", f"{e + 1}单元", f"{fl + 1}0{d + 1}",
                                name, id_number(i), phone(i), tag])
                    i += 1
                rows_here -= size
        assert i == n, (i, n)
    print(f"wrote {len(tree)} compounds, {n} residents ({tagged} tagged) to {args.out_dir}")

    if args.check:
        ids = set()
        phones = set()
        with open(os.path.join(args.out_dir, "residents.csv"), encoding="utf-8") as f:
            for row in csv.DictReader(f):
                x = row["身份证号"]
                assert len(x) == 18 and x[:6] == AREA and check_char(x[:17]) == x[17], x
                datetime.datetime.strptime(x[6:14], "%Y%m%d")
                ids.add(x)
                phones.add(row["手机号"])
        assert len(ids) == n, "ID numbers not unique"
        print(f"checked: {len(ids)} unique valid ID numbers, {len(phones)} distinct phones")


if __name__ == "__main__":
    main()
