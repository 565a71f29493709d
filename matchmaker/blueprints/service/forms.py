"""Forms of the service-request pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from matchmaker.blueprints.fields import (
    AVAILABILITY_CHOICES,
    MultiCheckboxField,
    SafeText,
    choices,
)
from matchmaker.blueprints.helpers import int_arg
from matchmaker.models.profiles import VOLUNTEER_TEAMS
from matchmaker.services.service_requests import MAX_WANTED, RequestInput


class ServiceRequestForm(FlaskForm):
    title = StringField(_l("标题"), validators=[SafeText("标题", 100, required=True)],
                        description=_l("如：帮助贫困母亲网上销售农产品"))
    need = TextAreaField(_l("需求说明"), validators=[SafeText("需求说明", 1000, required=True)],
                         description=_l("需要什么帮助、在哪里、大约多久；请勿填写手机号码和身份证号"))
    teams = MultiCheckboxField(_l("需要的服务队"), choices=choices((t, t) for t in VOLUNTEER_TEAMS))
    availability = MultiCheckboxField(_l("服务时间"), choices=AVAILABILITY_CHOICES)
    region = SelectField(_l("服务地点"), choices=[])
    volunteers_wanted = IntegerField(
        _l("需要志愿者人数"), default=1,
        validators=[InputRequired(_l("请填写整数")),
                    NumberRange(1, MAX_WANTED, _l("需要的志愿者人数应在 1 到 50 之间"))])
    person_id = SelectField(_l("受助人（可选）"), choices=[],
                            description=_l("登记册中的帮扶对象；服务对象是场所或集体时不选"))

    def to_input(self) -> RequestInput:
        return RequestInput(title=self.title.data, need=self.need.data,
                            region_code=self.region.data or "", teams=self.teams.data or [],
                            availability=self.availability.data or [],
                            volunteers_wanted=self.volunteers_wanted.data,
                            person_id=int_arg(self.person_id.data))
