from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from matchmaker.blueprints.fields import SafeText, check_with, choices, label_choices
from matchmaker.models.sponsorship import PLEDGE_PERIOD_LABELS
from matchmaker.services.validation import parse_date

NUMBER = _l("请填写整数")


class PledgeForm(FlaskForm):
    donor = SelectField(_l("捐助人"), choices=[])
    region = SelectField(_l("受理地区"), choices=[],
                         description=_l("负责这项承诺的妇联（本地区的协调员可以看到）"))
    amount = StringField(_l("每名学员的资助金额（元）"), description=_l("如 1000 或 1000.50"))
    period = SelectField(_l("资助周期"), choices=label_choices(PLEDGE_PERIOD_LABELS))
    students = IntegerField(_l("资助人数"), default=1, validators=[
        InputRequired(NUMBER), NumberRange(1, 100, message=_l("资助人数应在 1 到 100 之间"))])
    greatest_need = BooleanField(_l("资助最需要帮助的学员（由协调员选定学员）"))
    pref_region = SelectField(_l("希望资助的地区"), choices=[])
    pref_grade = StringField(_l("希望资助的年级"), validators=[SafeText("希望资助的年级", 20)])
    starts_on = StringField(_l("开始日期"), description=_l("如 2026-09-01"))
    ends_on = StringField(_l("结束日期"), description=_l("不填表示长期资助；到期后承诺中断"))
    note = TextAreaField(_l("备注"), validators=[SafeText("备注", 500)])

    def validate_starts_on(self, field) -> None:
        check_with(lambda v: parse_date(v, field="starts_on"), field)

    def validate_ends_on(self, field) -> None:
        if (field.data or "").strip():
            check_with(lambda v: parse_date(v, field="ends_on"), field)


class DonationForm(FlaskForm):
    donor = SelectField(_l("捐助人"), choices=[])
    pledge = SelectField(_l("对应的捐助承诺"), choices=[])
    region = SelectField(_l("受理地区"), choices=[],
                         description=_l("没有对应承诺时填写"))
    amount = StringField(_l("金额（元）"), description=_l("如 3000 或 3000.50"))
    received_on = StringField(_l("收款日期"), description=_l("如 2026-03-01"))

    def validate_received_on(self, field) -> None:
        check_with(lambda v: parse_date(v, field="received_on"), field)


class TermForm(FlaskForm):
    year = IntegerField(_l("学年"), validators=[InputRequired(NUMBER),
                                                  NumberRange(2000, 2100)])
    half = SelectField(_l("学期"), choices=choices([("spring", _l("春季学期")),
                                                    ("autumn", _l("秋季学期"))]))
    region = SelectField(_l("地区"), choices=[])
