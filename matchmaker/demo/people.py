"""Deterministic demo people for the matchmaker service.

`demo_people(seed)` returns about 600 person dicts (women, plus a few men among the
volunteers and donors) with mentor, mentee, volunteer, spring-bud and donor profiles.
Pure standard library plus python-stdnum; the same seed always gives the same data,
independent of the current date and of PYTHONHASHSEED (no set or dict-order tricks).

Identity numbers pass `stdnum.cn.ric.validate`. That validator checks the 6-digit area
code against the birth *year*, and its table has 海宁 under four historical codes:
332124 (海宁县, up to 1983), 330423 (海宁县, 1983-1986), 339002 (海宁市, 1986-1989) and
330481 (海宁市, from 1989). People are given the code that validates for their birth
year. 330421 is 嘉善县 in that table, not 海宁.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from stdnum.cn import ric

from .regions import REGIONS, town_villages

REFERENCE_DATE = date(2026, 11, 1)

MOBILE_PREFIXES = (
    "133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159",
    "177", "180", "181", "186", "187", "188", "189", "199",
)  # fmt: skip

VOLUNTEER_TEAMS = ("文明传播", "创业指导", "家庭教育", "法律维权", "科技惠民", "环保护绿")
VOLUNTEER_SERVICES = ("助老", "帮困", "咨询", "调解")
AVAILABILITY = ("weekday", "evening", "weekend")
INDUSTRIES = (
    "agriculture", "ecommerce", "manufacturing", "services", "tourism", "finance", "education",
)  # fmt: skip

# Target counts per profile kind.
N_ENTREPRENEURS = 110
N_SKILLED = 110
N_STUDENTS = 110
N_RURAL = 110
N_POOR_MOTHERS = 60
N_SPRING_BUDS = 49
N_VOLUNTEERS = 120
N_DONORS = 20

# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------

# (surname, weight): common Zhejiang/Jiaxing surnames plus a few polyphonic ones.
_SURNAMES = (
    ("陈", 9), ("王", 7), ("张", 6), ("李", 5), ("沈", 6), ("朱", 5), ("徐", 5), ("周", 5),
    ("吴", 5), ("钱", 3), ("金", 4), ("褚", 2), ("顾", 3), ("陆", 3), ("许", 3), ("查", 2),
    ("马", 3), ("郭", 2), ("蒋", 3), ("曹", 2), ("杨", 3), ("胡", 3), ("俞", 3), ("孙", 3),
    ("姚", 2), ("费", 2), ("范", 2), ("董", 2), ("祝", 2), ("戴", 2), ("屠", 1), ("邱", 1),
    ("夏", 1), ("曾", 1), ("单", 1), ("解", 1),
)  # fmt: skip
_POLYPHONIC_SURNAMES = ("曾", "单", "查", "解")

_GIVEN_OLD = (
    "秀英 桂英 美娟 月琴 雪芬 惠娟 金凤 彩萍 建芳 玉珍 菊芳 美华 林娟 杏娟 水英 爱珍 素琴 "
    "宝珍 丽华 美琴 月芳 瑞英 菊英 佩华 凤英 美芬 亚芬 雪琴 国英 红英 云仙 兰英 桂芳 惠琴 "
    "英 芳 萍 琴"
).split()
_GIVEN_MID = (
    "丽娟 晓燕 海燕 丽萍 燕萍 晓红 雪梅 春燕 晓英 卫芳 佳佳 婷婷 晓丽 丽芳 秀芳 晓霞 建英 "
    "雅琴 雅芬 丽琴 芳芳 萍萍 春华 晓萍 丽红 慧敏 红燕 玲玲 丽莉 晓芬 春梅 金燕 亚萍 群芳 "
    "秀娟 美燕 海英 燕 静 敏 红 琳 霞 慧 丹 洁 颖"
).split()
_GIVEN_YOUNG = (
    "欣怡 佳怡 诗琪 雨涵 梓涵 思颖 可欣 佳琪 晓彤 嘉怡 若彤 心怡 雨婷 梦瑶 思琪 佳慧 诗雨 "
    "晨曦 雨欣 欣悦 佳敏 文静 舒婷 依琳 佳颖 思雨 雅婷 梦洁 婧 悦 琪 倩 璐 瑶"
).split()
_GIVEN_CHILD = (
    "梓涵 一诺 雨桐 若曦 欣妍 梓萱 语桐 诗涵 可馨 思妍 紫涵 沐晴 梓琪 雨萱 欣然 安然 子琪 "
    "依依 心悦 若涵 馨予 星瑶 芊芊 语汐 悦 妍 诺 晨"
).split()
_GIVEN_MALE = (
    "建国 国强 伟明 建华 志刚 海峰 卫东 永明 晓东 建平 国良 永强 建军 立新 宏伟 杰 斌 浩 明 伟"
).split()


def _given_pool(gender: str, birth_year: int) -> list[str]:
    if gender == "M":
        return _GIVEN_MALE
    if birth_year >= 2008:
        return _GIVEN_CHILD
    if birth_year >= 1995:
        return _GIVEN_YOUNG
    if birth_year >= 1975:
        return _GIVEN_MID
    return _GIVEN_OLD


# ---------------------------------------------------------------------------
# Topics shared by mentors (specialty) and mentees (needs)
# ---------------------------------------------------------------------------

# Each topic: specialty (appears literally in mentee needs), industry code, a practice
# detail used in mentor experience, need phrases (each containing the specialty), towns
# where the trade is concentrated, and an organisation-name suffix.
_TOPICS: list[dict] = [
    {
        "specialty": "蚕桑养殖", "industry": "agriculture",
        "detail": "掌握小蚕共育、桑园管理和蚕茧分级销售",
        "needs": ["想学习蚕桑养殖技术，提高家庭收入", "家里有几亩桑地，希望学会科学的蚕桑养殖"],
        "towns": ["周王庙镇", "盐官镇"], "suffix": "蚕桑专业合作社",
    },
    {
        "specialty": "花卉苗木", "industry": "agriculture",
        "detail": "熟悉鲜切花和盆栽花卉的种植、养护与批发销售",
        "needs": ["想学习花卉苗木种植，在家门口创业", "希望掌握花卉苗木的养护和销售"],
        "towns": ["长安镇", "斜桥镇"], "suffix": "花木专业合作社",
    },
    {
        "specialty": "榨菜加工", "industry": "agriculture",
        "detail": "熟悉斜桥榨菜的种植、腌制和小包装加工",
        "needs": ["家里种榨菜，想学习榨菜加工和销售", "希望学会榨菜加工，增加收入"],
        "towns": ["斜桥镇", "盐官镇"], "suffix": "榨菜专业合作社",
    },
    {
        "specialty": "葡萄种植", "industry": "agriculture",
        "detail": "掌握大棚葡萄栽培、修剪和病虫害绿色防控",
        "needs": ["想学习大棚葡萄种植技术", "承包了几亩地，想请教葡萄种植"],
        "towns": ["丁桥镇", "袁花镇", "黄湾镇"], "suffix": "家庭农场",
    },
    {
        "specialty": "水产养殖", "industry": "agriculture",
        "detail": "熟悉南美白对虾和四大家鱼的池塘养殖与水质管理",
        "needs": ["希望学习水产养殖，把家里的鱼塘管好", "想了解水产养殖的水质管理"],
        "towns": ["黄湾镇", "袁花镇"], "suffix": "水产养殖场",
    },
    {
        "specialty": "家庭农场经营", "industry": "agriculture",
        "detail": "熟悉家庭农场申办、种植规划和农产品品牌打造",
        "needs": ["想办一个家庭农场，希望有人指导家庭农场经营", "想了解家庭农场经营和政策补贴"],
        "towns": ["袁花镇", "丁桥镇", "周王庙镇"], "suffix": "家庭农场",
    },
    {
        "specialty": "农村电商", "industry": "ecommerce",
        "detail": "熟悉网店开设、日常运营和农产品网上销售",
        "needs": ["希望了解农村电商，把自家农产品卖到网上", "想学习农村电商，开一家网店"],
        "towns": [], "suffix": "电子商务有限公司",
    },
    {
        "specialty": "直播带货", "industry": "ecommerce",
        "detail": "擅长短视频拍摄、剪辑和直播带货",
        "needs": ["希望学习直播带货，帮家里卖货", "想学短视频拍摄和直播带货"],
        "towns": ["许村镇", "海洲街道"], "suffix": "文化传媒有限公司",
    },
    {
        "specialty": "跨境电商", "industry": "ecommerce",
        "detail": "熟悉家纺和皮革制品的跨境电商出口流程",
        "needs": ["想了解跨境电商，把家纺产品卖到国外", "希望学习跨境电商平台运营"],
        "towns": ["海洲街道", "许村镇"], "suffix": "进出口有限公司",
    },
    {
        "specialty": "皮革加工", "industry": "manufacturing",
        "detail": "熟悉皮革裁剪、缝制和皮衣成衣工艺",
        "needs": ["想学习皮革加工和皮衣缝制", "希望学会皮革加工，到皮革城找工作"],
        "towns": ["海昌街道", "海洲街道"], "suffix": "皮革有限公司",
    },
    {
        "specialty": "经编纺织", "industry": "manufacturing",
        "detail": "熟悉经编机操作和经编面料的生产管理",
        "needs": ["想学经编纺织技术，进厂做技术工", "希望了解经编纺织的生产管理"],
        "towns": ["马桥街道", "许村镇"], "suffix": "经编有限公司",
    },
    {
        "specialty": "家纺布艺", "industry": "manufacturing",
        "detail": "擅长窗帘、沙发套等家纺布艺的设计与缝制",
        "needs": ["想学习家纺布艺缝制，在家接单", "希望学会家纺布艺，做些来料加工"],
        "towns": ["许村镇", "长安镇"], "suffix": "家纺有限公司",
    },
    {
        "specialty": "服装设计", "industry": "manufacturing",
        "detail": "擅长皮装和女装设计，熟悉打版和面料选择",
        "needs": ["希望在服装设计方面得到指导", "想学习服装设计和打版"],
        "towns": ["海洲街道", "海昌街道"], "suffix": "服饰有限公司",
    },
    {
        "specialty": "食品加工", "industry": "manufacturing",
        "detail": "熟悉农产品初加工、食品生产许可和包装设计",
        "needs": ["想把自家农产品做成包装食品，了解食品加工", "希望学习食品加工和食品安全知识"],
        "towns": ["斜桥镇", "长安镇"], "suffix": "食品有限公司",
    },
    {
        "specialty": "家政服务", "industry": "services",
        "detail": "熟悉家庭保洁、收纳整理和家政服务公司管理",
        "needs": ["想学家政服务技能，找一份稳定工作", "希望参加家政服务培训"],
        "towns": [], "suffix": "家政服务有限公司",
    },
    {
        "specialty": "母婴护理", "industry": "services",
        "detail": "持有高级母婴护理师证书，熟悉月嫂和育婴工作",
        "needs": ["想考母婴护理证，做月嫂", "希望学习母婴护理，增加收入"],
        "towns": ["硖石街道", "海昌街道"], "suffix": "母婴护理服务中心",
    },
    {
        "specialty": "养老护理", "industry": "services",
        "detail": "熟悉居家养老护理和失能老人照料",
        "needs": ["想学习养老护理技能，照顾老人的同时找份工作", "希望参加养老护理培训"],
        "towns": ["硖石街道", "马桥街道"], "suffix": "居家养老服务中心",
    },
    {
        "specialty": "面点小吃", "industry": "services",
        "detail": "擅长海宁特色面点小吃制作，开过多年小吃店",
        "needs": ["想学做面点小吃，开一家小店", "希望学习面点小吃制作手艺"],
        "towns": ["盐官镇", "硖石街道"], "suffix": "餐饮店",
    },
    {
        "specialty": "民宿经营", "industry": "tourism",
        "detail": "在盐官古城和观潮景区附近经营民宿，熟悉民宿装修和线上运营",
        "needs": ["想把自家房子改成民宿，了解民宿经营", "希望学习民宿经营和线上推广"],
        "towns": ["盐官镇", "黄湾镇"], "suffix": "民宿",
    },
    {
        "specialty": "乡村旅游", "industry": "tourism",
        "detail": "熟悉农家乐经营和乡村旅游线路开发",
        "needs": ["想开农家乐，发展乡村旅游", "希望了解乡村旅游项目怎么做"],
        "towns": ["盐官镇", "周王庙镇"], "suffix": "休闲农庄",
    },
    {
        "specialty": "硖石灯彩", "industry": "tourism",
        "detail": "掌握硖石灯彩扎制技艺，开发灯彩文创产品",
        "needs": ["想学习硖石灯彩手艺，做文创产品", "希望学习硖石灯彩等传统手工艺"],
        "towns": ["硖石街道", "斜桥镇"], "suffix": "灯彩工作室",
    },
    {
        "specialty": "财务管理", "industry": "finance",
        "detail": "做过多年会计，熟悉小微企业记账报税",
        "needs": ["希望学习财务管理和记账报税", "开了小店，想学一些财务管理知识"],
        "towns": ["硖石街道", "海洲街道"], "suffix": "财务咨询有限公司",
    },
    {
        "specialty": "创业融资", "industry": "finance",
        "detail": "熟悉创业担保贷款、巾帼创业贷等扶持政策",
        "needs": ["想了解创业融资政策，解决启动资金问题", "希望有人讲讲创业融资和贷款"],
        "towns": ["海洲街道"], "suffix": "投资咨询有限公司",
    },
    {
        "specialty": "幼儿教育", "industry": "education",
        "detail": "熟悉幼儿照护、早期教育和托育机构运营",
        "needs": ["想学习幼儿教育知识，办一家托育机构", "希望在幼儿教育方面得到指导"],
        "towns": ["海昌街道", "硖石街道"], "suffix": "托育中心",
    },
    {
        "specialty": "家庭教育", "industry": "education",
        "detail": "熟悉家庭教育指导和亲子沟通",
        "needs": ["希望学习家庭教育方法，更好地陪伴孩子", "孩子正处在青春期，想请教家庭教育"],
        "towns": [], "suffix": "家庭教育咨询中心",
    },
]  # fmt: skip
_TOPIC_BY_SPECIALTY = {t["specialty"]: t for t in _TOPICS}

_ENTREPRENEUR_TOPICS = [t["specialty"] for t in _TOPICS if t["specialty"] != "家庭教育"]
_SKILLED_TOPICS = [
    "蚕桑养殖", "花卉苗木", "榨菜加工", "葡萄种植", "水产养殖", "农村电商", "直播带货",
    "皮革加工", "经编纺织", "家纺布艺", "服装设计", "食品加工", "家政服务", "母婴护理",
    "养老护理", "面点小吃", "硖石灯彩", "财务管理", "幼儿教育", "家庭教育",
]  # fmt: skip
_EXPERTS = [
    ("蚕桑养殖", "海宁市农业技术推广中心"),
    ("花卉苗木", "浙江农林大学"),
    ("水产养殖", "海宁市农业技术推广中心"),
    ("农村电商", "嘉兴学院"),
    ("服装设计", "浙江理工大学"),
    ("财务管理", "海宁市会计学会"),
    ("创业融资", "海宁农村商业银行"),
    ("家庭教育", "海宁市家庭教育指导中心"),
    ("食品加工", "海宁市市场监督管理局"),
    ("幼儿教育", "海宁市教育局"),
]
_RURAL_TOPICS = [
    "蚕桑养殖", "花卉苗木", "榨菜加工", "葡萄种植", "水产养殖", "家庭农场经营", "农村电商",
    "直播带货", "家纺布艺", "经编纺织", "皮革加工", "食品加工", "家政服务", "民宿经营",
    "乡村旅游", "面点小吃",
]  # fmt: skip
_POOR_MOTHER_TOPICS = [
    "家政服务", "母婴护理", "养老护理", "面点小吃", "家纺布艺", "农村电商", "直播带货",
    "硖石灯彩", "创业融资", "家庭教育",
]  # fmt: skip

# major -> (topics, schools)
_MAJORS = {
    "电子商务": (
        ["农村电商", "直播带货", "跨境电商"],
        ["浙江财经大学", "嘉兴学院", "浙江工商大学"],
    ),
    "会计学": (["财务管理", "创业融资"], ["浙江财经大学", "嘉兴学院", "浙江工商大学"]),
    "服装设计与工程": (["服装设计", "皮革加工"], ["浙江理工大学", "嘉兴学院"]),
    "纺织工程": (["经编纺织", "家纺布艺"], ["浙江理工大学", "嘉兴学院"]),
    "学前教育": (["幼儿教育", "家庭教育"], ["杭州师范大学", "嘉兴学院"]),
    "旅游管理": (["民宿经营", "乡村旅游"], ["浙江农林大学", "浙江工商大学"]),
    "园艺": (["花卉苗木", "葡萄种植"], ["浙江大学", "浙江农林大学"]),
    "食品科学与工程": (["食品加工", "榨菜加工"], ["浙江大学", "浙江工商大学"]),
    "市场营销": (["直播带货", "农村电商"], ["浙江财经大学", "嘉兴南湖学院"]),
    "视觉传达设计": (["硖石灯彩", "服装设计"], ["浙江传媒学院", "浙江理工大学"]),
    "工商管理": (["创业融资", "家庭农场经营"], ["浙江大学", "嘉兴学院", "浙江财经大学"]),
}

_BRANDS = (
    "潮乡 宏达 瑞丰 金潮 锦绣 巾帼 丰收 绿源 嘉禾 盛丰 恒信 鸿运 华美 新港 秀丽 佳禾 丽人 "
    "桑梓 百合 惠民 春晖 兰馨 思源 明珠 天成 雅韵 尚品 润禾 星辰 梦蝶 海韵 长河 宁韵 观潮 "
    "钱塘 丰硕 翠湖 美琳 欣悦 禾润 织锦 云裳 暖阳 花语 田园 乐农 菁华 沁园 红菱 水乡"
).split()

_VOLUNTEER_SKILLS = {
    "文明传播": [
        "擅长文艺表演，组织过村里的广场舞队",
        "会写宣传稿，能拍摄剪辑短视频",
        "做过多年村妇女主任，熟悉宣讲工作",
    ],
    "创业指导": [
        "自己开过网店，熟悉创业流程",
        "经营企业多年，愿意给创业姐妹出主意",
        "熟悉创业扶持政策的申报",
    ],
    "家庭教育": [
        "退休小学教师，熟悉家庭教育",
        "持有心理咨询师证书",
        "当过多年班主任，擅长亲子沟通",
    ],
    "法律维权": ["有法律职业资格证书", "熟悉婚姻家庭纠纷调解", "参加过人民调解员培训"],
    "科技惠民": ["会教老人使用智能手机", "熟悉电脑和办公软件", "会用网上办事平台，能帮群众代办"],
    "环保护绿": ["参与垃圾分类宣传多年", "熟悉庭院美化和绿化种植", "组织过河道保洁志愿活动"],
}

# (guardian relation, hardship note); "母亲" entries are also used for linked mothers.
_GUARDIAN_CASES = [
    ("母亲", "单亲家庭，随母亲生活"),
    ("母亲", "父亲因病丧失劳动能力，家庭收入低"),
    ("母亲", "父亲因病去世，母亲独自抚养"),
    ("母亲", "母亲务工收入低，家中还有年迈老人需要照顾"),
    ("父亲", "母亲长期患病，医疗费用负担重"),
    ("父亲", "父亲因工伤致残，只能打零工"),
    ("祖母", "父母离异，随祖母生活"),
    ("祖父", "父母外出务工，由祖父照顾"),
    ("外婆", "父母双亡，由外婆抚养"),
    ("外公", "母亲残疾，父亲离家，由外公照顾"),
    ("姑妈", "父母均患重病，暂由姑妈照顾"),
]
_LINKED_MOTHER_NOTES = [note for rel, note in _GUARDIAN_CASES if rel == "母亲"]

# Donor organisations whose contact person has no other role (two men, two women).
_DONOR_ORGS = (
    "海宁市女企业家协会",
    "海宁市潮乡爱心基金会",
    "海宁市恒信经编有限公司",
    "海宁市宏达皮革有限公司",
)

_VILLAGE_NAMES = {r["code"]: r["name"] for r in REGIONS if r["level"] == "village"}

_PRIMARY_SCHOOLS = {
    "硖石街道": "海宁市实验小学",
    "海洲街道": "海宁市海洲小学",
    "海昌街道": "海宁市狮岭学校",
    "马桥街道": "海宁市马桥小学",
}
_MIDDLE_SCHOOLS = {
    "硖石街道": "海宁市硖石中学",
    "海洲街道": "海宁市第一初级中学",
    "海昌街道": "海宁市狮岭学校",
    "马桥街道": "海宁市马桥初级中学",
    "许村镇": "海宁市许村中学",
    "长安镇": "海宁市长安镇初级中学",
    "周王庙镇": "海宁市周王庙镇初级中学",
    "丁桥镇": "海宁市丁桥镇初级中学",
    "斜桥镇": "海宁市斜桥中学",
    "黄湾镇": "海宁市黄湾镇初级中学",
    "盐官镇": "海宁市盐官镇初级中学",
    "袁花镇": "海宁市袁花镇初级中学",
}
_HIGH_SCHOOLS = ("海宁市第一中学", "海宁市高级中学", "海宁市紫微高级中学", "海宁市职业高级中学")
_GRADE_NAMES = (
    "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
    "初一", "初二", "初三", "高一", "高二", "高三",
)  # fmt: skip


def _area_code(birth_year: int) -> str:
    """Haining county code that stdnum's ric table accepts for this birth year."""
    if birth_year >= 1989:
        return "330481"  # 海宁市
    if birth_year >= 1986:
        return "339002"  # 海宁市 (province-administered code, 1986-1989)
    if birth_year >= 1983:
        return "330423"  # 海宁县 under 嘉兴市
    return "332124"  # 海宁县 under 嘉兴地区


def _school_grade(birth: date) -> int:
    """School grade (1-12) in the school year running on REFERENCE_DATE; may be <1 or >12."""
    entry_year = birth.year + 6 if birth.month <= 8 else birth.year + 7
    school_year = REFERENCE_DATE.year if REFERENCE_DATE.month >= 9 else REFERENCE_DATE.year - 1
    return school_year - entry_year + 1


def _age(birth: date) -> int:
    return (
        REFERENCE_DATE.year
        - birth.year
        - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (birth.month, birth.day))
    )


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.villages_by_town = town_villages()
        self.towns = list(self.villages_by_town)
        self.all_villages = [c for codes in self.villages_by_town.values() for c in codes]
        self.town_of_village = {
            c: town for town, codes in self.villages_by_town.items() for c in codes
        }
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.used_names: set[str] = set()
        self.used_orgs: set[str] = set(_DONOR_ORGS)  # keep mentor companies distinct
        self.people: list[dict] = []
        self._surnames = [s for s, _ in _SURNAMES]
        self._surname_weights = [w for _, w in _SURNAMES]

    # -- primitives ---------------------------------------------------------

    def subset(self, items: tuple[str, ...] | list[str], lo: int = 1, hi: int | None = None):
        """Random non-empty subset, kept in the canonical order of `items`."""
        hi = len(items) if hi is None else hi
        k = self.rng.randint(lo, hi)
        picked = self.rng.sample(range(len(items)), k)
        return [items[i] for i in sorted(picked)]

    def birth_date(self, first_year: int, last_year: int) -> date:
        start = date(first_year, 1, 1)
        span = (date(last_year, 12, 31) - start).days
        return start + timedelta(days=self.rng.randint(0, span))

    def surname(self) -> str:
        return self.rng.choices(self._surnames, weights=self._surname_weights)[0]

    def name(self, gender: str, birth_year: int, surname: str | None = None) -> str:
        pool = _given_pool(gender, birth_year)
        for _ in range(200):
            candidate = (surname or self.surname()) + self.rng.choice(pool)
            if candidate not in self.used_names:
                self.used_names.add(candidate)
                return candidate
        raise RuntimeError("name pool exhausted")

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def id_number(self, gender: str, birth: date) -> str:
        while True:
            seq = self.rng.randrange(500) * 2 + (1 if gender == "M" else 0)
            first17 = f"{_area_code(birth.year)}{birth:%Y%m%d}{seq:03d}"
            number = first17 + ric.calc_check_digit(first17 + "0")
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def village(self, towns: list[str] | None = None, bias: float = 0.6) -> str:
        if towns and self.rng.random() < bias:
            return self.rng.choice(self.villages_by_town[self.rng.choice(towns)])
        return self.rng.choice(self.all_villages)

    def organisation(self, suffix: str, region_code: str) -> str:
        town = self.town_of_village[region_code]
        for _ in range(200):
            brand = self.rng.choice(_BRANDS)
            if suffix == "民宿":
                org = f"{town[:2]}{brand}民宿"
            elif suffix in ("家庭农场", "休闲农庄", "餐饮店", "灯彩工作室"):
                org = f"海宁市{town}{brand}{suffix}"
            else:
                org = f"海宁市{brand}{suffix}"
            if org not in self.used_orgs:
                self.used_orgs.add(org)
                return org
        raise RuntimeError("organisation names exhausted")

    def person(
        self,
        years: tuple[int, int],
        gender: str = "F",
        region_code: str | None = None,
        with_id: bool = True,
        with_mobile: bool = True,
        surname: str | None = None,
    ) -> dict:
        birth = self.birth_date(*years)
        person = {
            "name": self.name(gender, birth.year, surname),
            "gender": gender,
            "id_number": self.id_number(gender, birth) if with_id else None,
            "mobile": self.mobile() if with_mobile else None,
            "birth_date": birth,
            "region_code": region_code or self.rng.choice(self.all_villages),
            "profiles": [],
        }
        self.people.append(person)
        return person

    # -- profile groups -----------------------------------------------------

    def mentors(self) -> list[dict]:
        rng = self.rng
        result = []
        plan = [
            ("entrepreneur", rng.choice(_ENTREPRENEUR_TOPICS)) for _ in range(N_ENTREPRENEURS)
        ] + [("skilled", rng.choice(_SKILLED_TOPICS)) for _ in range(N_SKILLED)]
        # Guarantee every topic has at least one entrepreneur or skilled mentor.
        for i, topic in enumerate(_ENTREPRENEUR_TOPICS):
            plan[i] = ("entrepreneur", topic)
        for kind, specialty in plan:
            topic = _TOPIC_BY_SPECIALTY[specialty]
            region = self.village(topic["towns"])
            years = (1965, 1995) if kind == "entrepreneur" else (1962, 1996)
            p = self.person(years, region_code=region)
            if kind == "entrepreneur":
                org = self.organisation(topic["suffix"], region)
                start = rng.randint(max(p["birth_date"].year + 23, 2003), 2023)
                experience = f"{start}年创办{org}，{topic['detail']}。" + rng.choice(
                    [
                        f"目前带动周边{rng.randint(5, 60)}名妇女就业。",
                        "愿意把创业经验分享给有需要的姐妹。",
                        "曾获评海宁市巾帼创业带头人。",
                    ]
                )
            else:
                if rng.random() < 0.3:
                    org = f"{_VILLAGE_NAMES[region]}巾帼微家"
                else:
                    org = self.organisation(topic["suffix"], region)
                years_in = rng.randint(3, max(4, min(30, _age(p["birth_date"]) - 20)))
                experience = f"从事{specialty}工作{years_in}年，{topic['detail']}。" + rng.choice(
                    ["曾获海宁市巾帼建功标兵称号。", "带过多名徒弟。", "愿意手把手教。", ""]
                )
            p["profiles"].append(
                {
                    "type": "mentor",
                    "kind": kind,
                    "specialty": specialty,
                    "industry": topic["industry"],
                    "organisation": org,
                    "experience": experience,
                    "capacity": rng.randint(1, 3),
                    "availability": self.subset(AVAILABILITY),
                    "status": "active",
                }
            )
            result.append(p)
        for specialty, org in _EXPERTS:
            topic = _TOPIC_BY_SPECIALTY[specialty]
            p = self.person((1960, 1986))
            p["profiles"].append(
                {
                    "type": "mentor",
                    "kind": "expert",
                    "specialty": specialty,
                    "industry": topic["industry"],
                    "organisation": org,
                    "experience": f"长期从事{specialty}指导与推广工作，{topic['detail']}。"
                    "多次为基层妇女开展技能培训。",
                    "capacity": rng.randint(2, 3),
                    "availability": self.subset(AVAILABILITY),
                    "status": "active",
                }
            )
            result.append(p)
        return result

    def _needs(self, specialties: list[str]) -> str:
        first = self.rng.choice(_TOPIC_BY_SPECIALTY[specialties[0]]["needs"])
        if len(specialties) > 1:
            return f"{first}；同时希望了解{specialties[1]}"
        return first

    def _pick_topics(self, pool: list[str], preferred: list[str]) -> list[str]:
        first = self.rng.choice(preferred) if preferred and self.rng.random() < 0.5 else None
        first = first or self.rng.choice(pool)
        if self.rng.random() < 0.45:
            second = self.rng.choice([t for t in pool if t != first])
            return [first, second]
        return [first]

    def mentees(self) -> dict[str, list[dict]]:
        rng = self.rng
        groups: dict[str, list[dict]] = {"student": [], "rural": [], "poor_mother": []}
        majors = list(_MAJORS)
        for _ in range(N_STUDENTS):
            p = self.person((2002, 2007))
            major = rng.choice(majors)
            topics, schools = _MAJORS[major]
            specialty = rng.choice(topics)
            needs = rng.choice(
                [
                    f"{major}专业在读，希望在{specialty}方面得到行业前辈指导",
                    f"毕业后想回海宁创业，想请教{specialty}方面的经验",
                    f"希望利用假期到企业实践，了解{specialty}的实际工作",
                ]
            )
            p["profiles"].append(
                {
                    "type": "mentee",
                    "kind": "student",
                    "needs": needs,
                    "industry": _TOPIC_BY_SPECIALTY[specialty]["industry"],
                    "hardship": rng.randint(0, 3),
                    "school": rng.choice(schools),
                    "major": major,
                    "availability": self.subset(("evening", "weekend")),
                    "status": "active",
                }
            )
            groups["student"].append(p)
        for kind, count, years, pool, hardship in (
            ("rural", N_RURAL, (1968, 2000), _RURAL_TOPICS, (1, 4)),
            ("poor_mother", N_POOR_MOTHERS, (1978, 1998), _POOR_MOTHER_TOPICS, (3, 5)),
        ):
            for _ in range(count):
                # Rural mentees live mostly in towns rather than the four urban streets.
                town = rng.choice(self.towns[4:] if rng.random() < 0.85 else self.towns)
                region = rng.choice(self.villages_by_town[town])
                local = [s for s in pool if town in _TOPIC_BY_SPECIALTY[s]["towns"]]
                specialties = self._pick_topics(pool, local)
                p = self.person(years, region_code=region)
                p["profiles"].append(
                    {
                        "type": "mentee",
                        "kind": kind,
                        "needs": self._needs(specialties),
                        "industry": _TOPIC_BY_SPECIALTY[specialties[0]]["industry"],
                        "hardship": rng.randint(*hardship),
                        "school": None,
                        "major": None,
                        "availability": self.subset(AVAILABILITY),
                        "status": "active",
                    }
                )
                groups[kind].append(p)
        return groups

    def volunteer_profile(self, team: str) -> dict:
        rng = self.rng
        status = rng.choices(("active", "pending", "inactive"), weights=(75, 15, 10))[0]
        return {
            "type": "volunteer",
            "team": team,
            "services": self.subset(VOLUNTEER_SERVICES, 1, 3),
            "skills": rng.choice(_VOLUNTEER_SKILLS[team]),
            "availability": self.subset(AVAILABILITY),
            "status": status,
        }

    def volunteers(self, mentors: list[dict], mentees: dict[str, list[dict]]) -> None:
        rng = self.rng
        business = [p for p in mentors if p["profiles"][0]["kind"] != "expert"]
        for p in rng.sample(business, 55):
            team = rng.choice(["创业指导", "创业指导", "科技惠民", "文明传播", "环保护绿"])
            p["profiles"].append(self.volunteer_profile(team))
        for p in rng.sample(mentees["student"], 25):
            team = rng.choice(["科技惠民", "文明传播", "家庭教育", "环保护绿"])
            p["profiles"].append(self.volunteer_profile(team))
        for p in rng.sample(mentees["rural"], 10):
            team = rng.choice(["环保护绿", "文明传播", "科技惠民"])
            p["profiles"].append(self.volunteer_profile(team))
        # 55 + 25 + 10 = 90 volunteers already have another role; the rest are new people.
        for i in range(N_VOLUNTEERS - 90):
            gender = "M" if i < 4 else "F"
            p = self.person((1956, 2000), gender=gender)
            p["profiles"].append(self.volunteer_profile(rng.choice(VOLUNTEER_TEAMS)))

    def donors(self, mentors: list[dict]) -> None:
        rng = self.rng
        entrepreneurs = [p for p in mentors if p["profiles"][0]["kind"] == "entrepreneur"]
        chosen = rng.sample(entrepreneurs, 9)
        # Four entrepreneurs donate through their companies, five privately.
        for p in chosen[:4]:
            org = p["profiles"][0]["organisation"]
            p["profiles"].append(
                {"type": "donor", "kind": "organisation", "organisation": org, "display_name": org}
            )
        for p in chosen[4:]:
            p["profiles"].append(self._private_donor(p))
        # Four organisations whose contact is not otherwise in the system.
        for i, org in enumerate(_DONOR_ORGS):
            gender = "M" if i >= 2 else "F"
            p = self.person((1965, 1988), gender=gender, with_id=i % 2 == 0)
            p["profiles"].append(
                {"type": "donor", "kind": "organisation", "organisation": org, "display_name": org}
            )
        # 4 + 5 + 4 = 13 donors so far; the rest are private donors with no other role.
        # Some of them gave no ID number or no mobile.
        for i in range(N_DONORS - 13):
            gender = "M" if i == 0 else "F"
            p = self.person((1958, 1992), gender=gender, with_id=i % 3 != 1, with_mobile=i % 3 != 2)
            p["profiles"].append(self._private_donor(p))

    @staticmethod
    def _private_donor(p: dict) -> dict:
        title = "先生" if p["gender"] == "M" else "女士"
        return {
            "type": "donor",
            "kind": "person",
            "organisation": None,
            "display_name": p["name"][0] + title,
        }

    def spring_buds(self, poor_mothers: list[dict]) -> None:
        rng = self.rng
        # Ten girls are daughters of poor mothers who are themselves in the system.
        eligible = [m for m in poor_mothers if m["birth_date"].year <= 1992]
        mothers = rng.sample(eligible, 10)
        for i in range(N_SPRING_BUDS):
            mother = mothers[i] if i < len(mothers) else None
            if mother:
                years = (max(2009, mother["birth_date"].year + 21), 2018)
                region = mother["region_code"]
            else:
                years = (2009, 2018)
                region = self.rng.choice(self.all_villages)
            p = self.person(years, region_code=region, with_mobile=False)
            surname = p["name"][0]
            given = p["name"][1:]
            if mother:
                relation = "母亲"
                note = rng.choice(_LINKED_MOTHER_NOTES)
                guardian_name = mother["name"]
                guardian_mobile = mother["mobile"]
            else:
                relation, note = rng.choice(_GUARDIAN_CASES)
                year = p["birth_date"].year
                if relation in ("父亲", "祖父"):
                    guardian_name = self.name("M", year - 30, surname)
                elif relation == "外公":
                    guardian_name = self.name("M", year - 55)
                elif relation in ("祖母", "外婆"):
                    guardian_name = self.name("F", year - 55)
                elif relation == "姑妈":
                    guardian_name = self.name("F", year - 35, surname)
                else:
                    guardian_name = self.name("F", year - 30)
                guardian_mobile = self.mobile()
            town = self.town_of_village[region]
            grade = min(max(_school_grade(p["birth_date"]), 1), 12)
            if grade <= 6:
                school = _PRIMARY_SCHOOLS.get(town, f"海宁市{town}中心小学")
            elif grade <= 9:
                school = _MIDDLE_SCHOOLS[town]
            else:
                school = rng.choice(_HIGH_SCHOOLS)
            p["profiles"].append(
                {
                    "type": "spring_bud",
                    "school": school,
                    "grade": _GRADE_NAMES[grade - 1],
                    "guardian_name": guardian_name,
                    "guardian_relation": relation,
                    "guardian_mobile": guardian_mobile,
                    "guardian_consent": True,
                    "hardship_note": note,
                    "alias": "小" + given[-1],
                }
            )

    def polyphonic_and_duplicate_names(self) -> None:
        rng = self.rng
        adults = [
            p
            for p in self.people
            if p["gender"] == "F" and all(x["type"] in ("mentor", "mentee") for x in p["profiles"])
        ]
        picked = rng.sample(adults, 20)
        # Twelve women get a polyphonic surname (曾 zeng, 单 shan, 查 zha, 解 xie).
        for p, surname in zip(picked[:12], _POLYPHONIC_SURNAMES * 3, strict=True):
            given = p["name"][1:]
            new = surname + given
            while new in self.used_names:
                new = surname + rng.choice(_given_pool("F", p["birth_date"].year))
            self.used_names.add(new)
            p["name"] = new
        # Four pairs of different women share a full name.
        for a, b in zip(picked[12:16], picked[16:20], strict=True):
            b["name"] = a["name"]


def demo_people(seed: int = 20261129) -> list[dict]:
    """Build the demo people. Deterministic for a given seed.

    Each person: {"name", "gender" ("F"/"M"), "id_number" (18 chars or None),
    "mobile" (11 digits or None), "birth_date" (date), "region_code" (village code),
    "profiles" (list of dicts with a "type" key: volunteer, mentor, mentee,
    spring_bud or donor)}.
    """
    builder = _Builder(seed)
    mentors = builder.mentors()
    mentees = builder.mentees()
    # Rename before donors (display names) and spring buds (guardian names) copy names.
    builder.polyphonic_and_duplicate_names()
    builder.volunteers(mentors, mentees)
    builder.donors(mentors)
    builder.spring_buds(mentees["poor_mother"])
    return builder.people
