from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from matchmaker.blueprints.fields import SafeText, choices
from matchmaker.models.profiles import VOLUNTEER_TEAMS
from matchmaker.models.volunteering import ACTIVITY_SERVICES


class ActivityForm(FlaskForm):
    title = StringField(_l("活动名称"), validators=[SafeText("活动名称", 100, required=True)])
    # Choices are checked by the service, whose refusals are in Chinese beside the field.
    service = SelectField(_l("服务类别"), choices=choices((s, s) for s in ACTIVITY_SERVICES),
                          validate_choice=False)
    team = SelectField(_l("服务队"), choices=choices(
        [("", _l("不限")), *((t, t) for t in VOLUNTEER_TEAMS)]), validate_choice=False)
    region = SelectField(_l("所在镇（街道）/村（社区）"), choices=[], validate_choice=False)
    place = StringField(_l("地点"), validators=[SafeText("地点", 100, required=True)])
    day = StringField(_l("日期"), render_kw={"type": "date"},
                      description=_l("如 2026-11-20"))
    start = StringField(_l("开始时间"), render_kw={"type": "time"}, description=_l("如 09:00"))
    end = StringField(_l("结束时间"), render_kw={"type": "time"}, description=_l("如 11:30"))
    slots = IntegerField(_l("名额"), validators=[
        InputRequired(_l("请填写整数")), NumberRange(1, 1000, _l("名额应在 1 到 1000 之间"))])
    description = TextAreaField(_l("活动说明"), validators=[SafeText("活动说明", 2000)])


class RejectForm(FlaskForm):
    reason = StringField(_l("未认定原因"), validators=[SafeText("未认定原因", 200, required=True)])
