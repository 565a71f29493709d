from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from matchmaker.blueprints.fields import AVAILABILITY_CHOICES, MultiCheckboxField, SafeText, choices
from matchmaker.models.profiles import VOLUNTEER_TEAMS


class ProfileForm(FlaskForm):
    teams = MultiCheckboxField(_l("服务队"), choices=choices((t, t) for t in VOLUNTEER_TEAMS))
    skills = TextAreaField(_l("技能特长"), validators=[SafeText("技能特长", 500)])
    availability = MultiCheckboxField(_l("可服务时间"), choices=AVAILABILITY_CHOICES)


class HoursForm(FlaskForm):
    served_on = StringField(_l("服务日期"), render_kw={"type": "date"},
                            description=_l("如 2026-11-20"))
    hours = StringField(_l("服务时长（小时）"), render_kw={"inputmode": "decimal"},
                        description=_l("如 2.5"))
    activity = SelectField(_l("对应活动"), choices=[], validate_choice=False)
    description = TextAreaField(_l("服务内容"), validators=[SafeText("服务内容", 500)])
