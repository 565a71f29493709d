from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from matchmaker.blueprints.fields import (
    MultiCheckboxField,
    SafeText,
    check_with,
    choices,
    label_choices,
)
from matchmaker.models.pairing import FOLLOW_UP_LABELS
from matchmaker.models.profiles import MENTEE_KIND_LABELS, MENTOR_KIND_LABELS
from matchmaker.models.programme import POOL_LABELS
from matchmaker.services.programmes import REGION_RULES, ProgrammeInput
from matchmaker.services.validation import parse_date

NUMBER = _l("请填写数字")


class ProgrammeForm(FlaskForm):
    name = StringField(_l("名称"), validators=[SafeText("名称", 100, required=True)])
    year = IntegerField(_l("年度"), validators=[InputRequired(NUMBER), NumberRange(2000, 2100)])
    region = SelectField(_l("实施地区"), choices=[])
    mentor_kinds = MultiCheckboxField(_l("导师类别"), choices=label_choices(MENTOR_KIND_LABELS))
    mentee_pool = SelectField(_l("帮扶对象来源"), choices=label_choices(POOL_LABELS))
    mentee_kinds = MultiCheckboxField(_l("帮扶对象类别"),
                                      choices=label_choices(MENTEE_KIND_LABELS))
    target_pairs = IntegerField(_l("目标结对数"), default=100, validators=[
        InputRequired(NUMBER), NumberRange(0, 100_000)])
    default_capacity = IntegerField(_l("每位导师在本项目最多带"), default=1, validators=[
        InputRequired(NUMBER), NumberRange(0, 20)])
    max_region_level = SelectField(_l("地域范围"), coerce=int,
                                   choices=label_choices(REGION_RULES))
    top_k = IntegerField(_l("每人候选导师数"), default=20, validators=[
        InputRequired(NUMBER), NumberRange(1, 200)])
    exclude_household = BooleanField(_l("不与同户家庭成员结对"), default=True)
    require_category = BooleanField(_l("要求行业相同"), default=False)
    w_text = FloatField(_l("专长相近"), default=2.5,
                        validators=[InputRequired(NUMBER), NumberRange(0, 10)])
    w_category = FloatField(_l("行业相同"), default=0.2,
                            validators=[InputRequired(NUMBER), NumberRange(0, 10)])
    w_region = FloatField(_l("地域相近"), default=0.5,
                          validators=[InputRequired(NUMBER), NumberRange(0, 10)])
    w_availability = FloatField(_l("时间契合"), default=0.15,
                                validators=[InputRequired(NUMBER), NumberRange(0, 10)])
    w_priority = FloatField(_l("困难优先"), default=0.25,
                            validators=[InputRequired(NUMBER), NumberRange(0, 10)])
    description = TextAreaField(_l("说明"), validators=[SafeText("说明", 1000)])

    WEIGHTS = ("text", "category", "region", "availability", "priority")

    def to_input(self) -> ProgrammeInput:
        return ProgrammeInput(
            name=self.name.data, year=self.year.data, region_code=self.region.data,
            mentor_kinds=self.mentor_kinds.data or [], mentee_pool=self.mentee_pool.data,
            mentee_kinds=self.mentee_kinds.data or [], target_pairs=self.target_pairs.data,
            default_capacity=self.default_capacity.data, description=self.description.data,
            weights={k: getattr(self, f"w_{k}").data for k in self.WEIGHTS},
            rules={"max_region_level": self.max_region_level.data, "top_k": self.top_k.data,
                   "exclude_household": self.exclude_household.data,
                   "require_category": self.require_category.data})

    def load(self, programme) -> None:
        self.name.data, self.year.data = programme.name, programme.year
        self.region.data = programme.region.code
        self.mentor_kinds.data = programme.split(programme.mentor_kinds)
        self.mentee_pool.data = programme.mentee_pool
        self.mentee_kinds.data = programme.split(programme.mentee_kinds)
        self.target_pairs.data = programme.target_pairs
        self.default_capacity.data = programme.default_capacity
        self.description.data = programme.description
        rules = programme.rules or {}
        self.max_region_level.data = int(rules.get("max_region_level", 2))
        self.top_k.data = int(rules.get("top_k", 20))
        self.exclude_household.data = bool(rules.get("exclude_household", True))
        self.require_category.data = bool(rules.get("require_category", False))
        for k in self.WEIGHTS:
            getattr(self, f"w_{k}").data = (programme.weights or {}).get(k, 0.0)


class RejectForm(FlaskForm):
    reason = StringField(_l("否决理由"), validators=[SafeText("否决理由", 500, required=True)])


class BulkApproveForm(FlaskForm):
    min_score = DecimalField(_l("分数不低于"), places=2, validators=[InputRequired(NUMBER)])


class CloseForm(FlaskForm):
    status = SelectField(_l("结果"), choices=choices([("completed", _l("完成")),
                                                     ("ended", _l("解除"))]))
    reason = StringField(_l("原因"), validators=[SafeText("原因", 500)])
    rematch = BooleanField(_l("解除后为该帮扶对象重新匹配（其他结对保持不变）"))


class FollowUpForm(FlaskForm):
    on = StringField(_l("日期"), description=_l("如 2026-03-08"))
    kind = SelectField(_l("方式"), choices=label_choices(FOLLOW_UP_LABELS))
    notes = TextAreaField(_l("记录"), validators=[SafeText("记录", 2000)])
    income_change = StringField(_l("月收入变化（元）"), validators=[Optional()],
                                description=_l("增加填正数，减少填负数"))
    business_started = BooleanField(_l("已开始创业或经营"))

    def validate_on(self, field) -> None:
        check_with(lambda v: parse_date(v, field="on"), field)
