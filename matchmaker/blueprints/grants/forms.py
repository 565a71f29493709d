from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from matchmaker.blueprints.fields import MultiCheckboxField, SafeText, choices, label_choices
from matchmaker.models.fund import FUND_KIND_LABELS
from matchmaker.models.profiles import MENTEE_KIND_LABELS

NUMBER = _l("请填写整数")


class FundForm(FlaskForm):
    name = StringField(_l("名称"), validators=[SafeText("名称", 100, required=True)])
    year = IntegerField(_l("年度"), validators=[InputRequired(NUMBER), NumberRange(2000, 2100)])
    kind = SelectField(_l("类别"), choices=label_choices(FUND_KIND_LABELS))
    region = SelectField(_l("实施地区"), choices=[])
    budget = StringField(_l("预算（元）"))
    rule = SelectField(_l("资助标准"), choices=choices([
        ("standard", _l("固定金额")), ("interest", _l("按贷款贴息计算"))]))
    standard = StringField(_l("固定金额（元）"), description=_l("资助标准为固定金额时填写"))
    subsidy_share = StringField(_l("贴息比例"), description=_l("如 0.5 表示补贴一半利息"))
    cap = StringField(_l("每人最高贴息（元）"))
    pool = SelectField(_l("资助对象"), choices=choices([
        ("", _l("不限")), ("mentee", _l("帮扶对象")), ("spring_bud", _l("春蕾学员"))]))
    kinds = MultiCheckboxField(_l("帮扶对象类别"), choices=label_choices(MENTEE_KIND_LABELS))
    min_hardship = IntegerField(_l("最低困难程度"), default=0,
                                validators=[Optional(), NumberRange(0, 5)])
    region_min = TextAreaField(_l("地区最低名额"), description=_l(
        "每行一个：镇（街道）代码 人数，如 330481101 2"))
    w_hardship = FloatField(_l("优先级权重：困难程度"), default=0.5,
                            validators=[InputRequired(NUMBER), NumberRange(0, 10)])
    w_household = FloatField(_l("优先级权重：家庭人口"), default=0.2,
                             validators=[InputRequired(NUMBER), NumberRange(0, 10)])
    w_plan = FloatField(_l("优先级权重：创业计划"), default=0.3,
                        validators=[InputRequired(NUMBER), NumberRange(0, 10)])
    description = TextAreaField(_l("说明"), validators=[SafeText("说明", 1000)])

    def priority_weights(self) -> dict[str, float]:
        return {"hardship": self.w_hardship.data, "household": self.w_household.data,
                "plan": self.w_plan.data}

    def region_min_dict(self) -> dict[str, int]:
        out = {}
        for line in (self.region_min.data or "").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                out[parts[0]] = int(parts[1])
        return out


class ApplicationForm(FlaskForm):
    hardship = IntegerField(_l("困难程度（0–5）"), default=0,
                            validators=[InputRequired(NUMBER), NumberRange(0, 5)])
    household_size = IntegerField(_l("家庭人口"), default=1,
                                  validators=[InputRequired(NUMBER), NumberRange(1, 20)])
    plan_score = IntegerField(_l("创业计划评分（0–5）"), default=0,
                              validators=[InputRequired(NUMBER), NumberRange(0, 5)])
    principal = StringField(_l("贷款本金（元）"))
    annual_rate = StringField(_l("贷款年利率"), description=_l("如 0.0435"))
    months = IntegerField(_l("贴息月数"), validators=[Optional(), NumberRange(1, 48)])
    loan_number = IntegerField(_l("第几笔贷款"), validators=[Optional(), NumberRange(1, 5)])
    first_loan_repaid = BooleanField(_l("第一笔贷款已还清"))
    note = TextAreaField(_l("备注"), validators=[SafeText("备注", 500)])


class FundEditForm(FlaskForm):
    name = StringField(_l("名称"), validators=[SafeText("名称", 100, required=True)])
    budget = StringField(_l("预算（元）"))
    description = TextAreaField(_l("说明"), validators=[SafeText("说明", 1000)])
