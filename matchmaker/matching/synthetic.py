"""Synthetic but realistic Chinese profiles for demos, tests and benchmarks (seeded)."""

from __future__ import annotations

import random

from .types import MenteeProfile, MentorProfile

# (category, mentor skills, mentee needs)
INDUSTRIES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("茶叶", ("茶叶种植", "茶叶加工", "名优茶炒制"), ("茶叶种植技术", "学做炒茶", "茶园管理")),
    ("蔬菜", ("大棚蔬菜种植", "有机蔬菜", "蔬菜育苗"), ("大棚种菜", "蔬菜病虫害防治", "育苗技术")),
    ("水果", ("柑橘种植", "杨梅栽培", "葡萄种植"), ("果树修剪", "柑橘种植", "水果保鲜销售")),
    ("养殖", ("生态养鸡", "湖羊养殖", "生猪养殖"), ("养鸡技术", "养羊入门", "畜禽防疫")),
    ("水产", ("稻鱼共生", "淡水鱼养殖", "小龙虾养殖"), ("稻田养鱼", "小龙虾养殖技术", "水产销售")),
    ("中药材", ("铁皮石斛种植", "中药材种植", "灵芝栽培"), ("中药材种植", "石斛栽培", "药材销路")),
    ("电商", ("农村电商", "直播带货", "网店运营"), ("开网店", "直播卖货", "网店运营推广")),
    ("民宿", ("民宿经营", "乡村旅游", "农家乐管理"), ("开民宿", "农家乐经营", "乡村旅游项目")),
    ("餐饮", ("小吃店经营", "农家菜", "糕点制作"), ("开小吃店", "学做糕点", "餐饮创业")),
    ("手工", ("竹编工艺", "刺绣", "手工编织"), ("学竹编", "刺绣手艺", "手工艺品销售")),
    ("家政", ("家政服务", "月嫂培训", "养老护理"), ("当月嫂", "家政服务技能", "养老护理证书")),
    ("美业", ("美容美发", "美甲", "化妆造型"), ("学美发", "开美甲店", "化妆技术")),
    ("服装", ("服装加工", "服装设计", "来料加工"), ("缝纫技术", "服装创业", "来料加工订单")),
    ("财会", ("财务会计", "税务筹划", "代理记账"), ("会计考证", "小店记账", "财务知识")),
    ("教育", ("幼儿教育", "课外辅导", "早教机构"), ("幼师技能", "办托育班", "辅导孩子学习")),
    ("信息技术", ("软件开发", "数据分析", "网页设计"), ("学编程", "数据分析入门", "求职面试")),
    ("营销", ("市场营销", "品牌策划", "新媒体运营"), ("产品推广", "品牌打造", "短视频运营")),
    ("法律", ("法律服务", "合同审查", "婚姻家庭法律"), ("合同知识", "维权咨询", "创业法律风险")),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
GOALS = ("增加家庭收入", "带动村里姐妹", "希望找到销路", "想自己创业", "照顾孩子的同时就业")
DEEDS = ("带动周边农户增收", "获评市级女能手", "创办合作社", "开设网店年销售百万", "培训学员数百人")
SLOTS = ("wd_am", "wd_pm", "wd_ev", "we_am", "we_pm", "we_ev")


def region_codes(county: int, town: int, village: int) -> tuple[str, str, str]:
    """County/town/village codes in the national 6/9/12-digit style (Zhejiang-like)."""
    c = f"33{1 + county // 9:02d}{1 + county % 9:02d}"
    t = f"{c}{100 + town:03d}"
    return c, t, f"{t}{200 + village:03d}"


def synthetic_profiles(
    n_mentors: int,
    n_mentees: int,
    seed: int = 0,
    n_counties: int = 90,
    towns: int = 12,
    villages: int = 15,
    max_capacity: int = 5,
) -> tuple[list[MentorProfile], list[MenteeProfile]]:
    """Seeded mentors (capacity 1..max_capacity) and mentees with region paths, Chinese
    specialty / needs text, categories, availability and hardship 0–5."""
    rng = random.Random(seed)

    def place() -> tuple[str, ...]:
        county, town = rng.randrange(n_counties), rng.randrange(towns)
        return region_codes(county, town, rng.randrange(villages))

    def slots() -> frozenset[str]:
        return frozenset(s for s in SLOTS if rng.random() < 0.5) or frozenset({"we_am"})

    mentors = []
    for i in range(n_mentors):
        cat, skills, _ = INDUSTRIES[rng.randrange(len(INDUSTRIES))]
        skill = rng.choice(skills)
        other = rng.choice(skills)
        mentors.append(
            MentorProfile(
                id=f"M{i:05d}",
                specialty=f"擅长{skill}，熟悉{other}",
                experience=f"从事{cat}行业{rng.randint(3, 25)}年，{rng.choice(DEEDS)}",
                categories=frozenset({cat}),
                region=place(),
                availability=slots(),
                capacity=rng.randint(1, max_capacity),
                kind=rng.choice(("女企业家", "女能手")),
            )
        )
    mentees = []
    for j in range(n_mentees):
        cat, _, needs = INDUSTRIES[rng.randrange(len(INDUSTRIES))]
        need = rng.choice(needs)
        mentees.append(
            MenteeProfile(
                id=f"{rng.choice(SURNAMES)}{j:05d}",
                needs=f"想学习{need}，{rng.choice(GOALS)}",
                categories=frozenset({cat}),
                region=place(),
                availability=slots(),
                hardship=rng.choice((0, 0, 1, 2, 3, 4, 5)),
                kind=rng.choice(("女大学生", "农村妇女", "困难母亲")),
            )
        )
    return mentors, mentees
