"""The columns of each registry as they appear in a spreadsheet (花名册): the Chinese
header, the other headers people actually use for it, what kind of value it holds and
where it goes. Templates, imports and exports all read this one table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from matchmaker.models.person import GENDER_LABELS
from matchmaker.models.profiles import (
    AVAILABILITY_LABELS,
    DONOR_KIND_LABELS,
    INDUSTRY_LABELS,
    MENTEE_KIND_LABELS,
    MENTOR_KIND_LABELS,
    VOLUNTEER_SERVICES,
    VOLUNTEER_TEAMS,
)

# Kinds of value:
#   text      free text (``max_length``)          id      a resident ID number (text!)
#   mobile    a mainland mobile (text!)           date    a date (YYYY-MM-DD or an Excel date)
#   region    a region: its code, or its names from the county down ("盐官镇 郭店村")
#   choice    one of ``choices`` (code → label; files hold the label)
#   multi     several of ``choices``, separated by 、 or , or ；
#   int       a whole number within [``low``, ``high``]      bool    是/否
KINDS = ("text", "id", "mobile", "date", "region", "choice", "multi", "int", "bool")
MULTI_SEPARATORS = re.compile(r"[、,，;；/\s]+")
YES = ("是", "已同意", "同意", "有", "Y", "y", "yes", "YES", "1", "TRUE", "true", "√")
NO = ("否", "未同意", "不同意", "无", "N", "n", "no", "NO", "0", "FALSE", "false", "×", "")


@dataclass(frozen=True)
class Column:
    key: str  # the PersonInput field, or the profile column
    header: str  # the header in templates and exports
    kind: str
    target: str = "person"  # "person" or "profile"
    synonyms: tuple[str, ...] = ()
    required: bool = False
    max_length: int = 100
    choices: dict[str, str] = field(default_factory=dict)
    low: int = 0
    high: int = 0
    example: str = ""  # the example row of the template
    hint: str = ""  # a comment on the template's header cell

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.synonyms)


PERSON_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "text", synonyms=("名字", "姓 名", "人员姓名"), required=True,
           max_length=30, example="沈丽华"),
    Column("id_number", "身份证号", "id",
           synonyms=("身份证", "身份证号码", "公民身份号码", "证件号码", "身份证件号码"),
           example="330481199006010021", hint="请设置为文本格式，18 位"),
    Column("gender", "性别", "choice", choices=GENDER_LABELS, example="女",
           hint="有身份证号时可不填"),
    Column("birth_date", "出生日期", "date", synonyms=("出生年月日", "生日"),
           example="1990-06-01", hint="有身份证号时可不填"),
    Column("mobile", "手机号", "mobile",
           synonyms=("手机", "手机号码", "联系电话", "电话", "联系方式", "移动电话"),
           example="13900001234", hint="请设置为文本格式，11 位"),
    Column("region", "所在地区", "region",
           synonyms=("地区", "所在村", "所在村（社区）", "村（社区）", "村社区", "所在镇村",
                     "住址地区"),
           required=True, example="盐官镇 郭店村", hint="镇（街道）和村（社区），或地区代码"),
    Column("household", "户号", "text", synonyms=("家庭户号",), max_length=40),
    Column("note", "备注", "text", synonyms=("说明",), max_length=500),
)

AVAILABILITY_HINT = "、".join(AVAILABILITY_LABELS.values())

PROFILE_COLUMNS: dict[str, tuple[Column, ...]] = {
    "volunteer": (
        Column("team", "服务队", "choice", "profile", ("所属服务队", "志愿服务队"), True,
               choices={t: t for t in VOLUNTEER_TEAMS}, example="家庭教育"),
        Column("services", "服务项目", "multi", "profile", ("服务内容",),
               choices={s: s for s in VOLUNTEER_SERVICES}, example="助老、咨询"),
        Column("skills", "特长", "text", "profile", ("技能特长", "专长"), max_length=500,
               example="心理咨询"),
        Column("availability", "可服务时间", "multi", "profile", ("服务时间", "空闲时间"),
               choices=AVAILABILITY_LABELS, example="周末上午、工作日晚上",
               hint=AVAILABILITY_HINT),
    ),
    "mentor": (
        Column("kind", "类别", "choice", "profile", ("导师类别", "类型"), True,
               choices=MENTOR_KIND_LABELS, example="女能手"),
        Column("specialty", "专长", "text", "profile", ("特长", "擅长"), True, 100,
               example="茶叶种植"),
        Column("industry", "行业", "choice", "profile", ("所属行业",), True,
               choices=INDUSTRY_LABELS, example="种养殖"),
        Column("organisation", "单位", "text", "profile", ("工作单位", "企业名称"),
               example="云龙茶场"),
        Column("experience", "经历简介", "text", "profile", ("经历", "简介"), max_length=1000),
        Column("capacity", "可带徒人数", "int", "profile", ("带徒人数", "可结对人数"), low=0,
               high=20, example="2"),
        Column("availability", "可指导时间", "multi", "profile", ("指导时间", "可服务时间"),
               choices=AVAILABILITY_LABELS, example="周末下午", hint=AVAILABILITY_HINT),
    ),
    "mentee": (
        Column("kind", "类别", "choice", "profile", ("帮扶对象类别", "类型"), True,
               choices=MENTEE_KIND_LABELS, example="农村妇女"),
        Column("needs", "帮扶需求", "text", "profile", ("需求", "帮扶内容"), True, 1000,
               example="想学茶叶种植"),
        Column("industry", "意向行业", "choice", "profile", ("行业",), True,
               choices=INDUSTRY_LABELS, example="种养殖"),
        Column("hardship", "困难程度", "int", "profile", ("困难程度（0–5）", "困难等级"), low=0,
               high=5, example="3", hint="0–5"),
        Column("school", "学校", "text", "profile", ("就读学校",)),
        Column("major", "专业", "text", "profile", ("所学专业",)),
        Column("availability", "可参加时间", "multi", "profile", ("空闲时间", "可服务时间"),
               choices=AVAILABILITY_LABELS, example="周末上午", hint=AVAILABILITY_HINT),
    ),
    "spring_bud": (
        Column("school", "学校", "text", "profile", ("就读学校",), True, example="盐官镇中心小学"),
        Column("grade", "年级", "text", "profile", ("就读年级",), True, 20, example="五年级"),
        Column("guardian_name", "监护人姓名", "text", "profile", ("监护人",), True, 30,
               example="陈美华"),
        Column("guardian_relation", "与学员关系", "text", "profile", ("监护人关系", "关系"), True,
               10, example="母亲"),
        Column("guardian_mobile", "监护人手机", "mobile", "profile",
               ("监护人电话", "监护人手机号", "监护人联系电话"), example="13955556666",
               hint="请设置为文本格式，11 位"),
        Column("guardian_consent", "监护人已书面同意", "bool", "profile",
               ("监护人同意", "已同意"), True, example="是", hint="是/否"),
        Column("hardship_note", "家庭困难情况", "text", "profile", ("家庭情况", "困难情况"),
               max_length=500, example="单亲家庭"),
        Column("alias", "化名", "text", "profile", ("捐助人看到的称呼",), max_length=20,
               example="小燕"),
    ),
    "donor": (
        Column("kind", "类别", "choice", "profile", ("捐助人类别", "类型"), True,
               choices=DONOR_KIND_LABELS, example="个人"),
        Column("organisation", "单位名称", "text", "profile", ("单位", "企业名称")),
        Column("display_name", "显示名称", "text", "profile", ("称呼", "对外名称"), max_length=60,
               example="沈女士"),
    ),
}


def columns_for(registry_key: str) -> tuple[Column, ...]:
    """The person's columns, then the registry's own."""
    return PERSON_COLUMNS + PROFILE_COLUMNS[registry_key]


_DECOR = re.compile(r"[\s*＊:：]|[（(](必填|选填|可选|必须)[）)]")


def normalise_header(raw: object) -> str:
    """A header as people type it: spaces, stars and "（必填）" do not count."""
    text = "" if raw is None else str(raw)
    text = text.replace("（", "(").replace("）", ")")
    text = _DECOR.sub("", text.replace("(", "（").replace(")", "）"))
    return text.strip()


def header_index(registry_key: str) -> dict[str, Column]:
    """Every accepted header (normalised) → its column."""
    index: dict[str, Column] = {}
    for column in columns_for(registry_key):
        for h in column.headers:
            index.setdefault(normalise_header(h), column)
    return index
