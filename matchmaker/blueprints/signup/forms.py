"""The public sign-up form and the poster's choices. Field checks give Chinese messages
beside each field; the operation checks again what it cannot trust (region, duplicates)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)

from matchmaker.blueprints.fields import (
    AVAILABILITY_CHOICES,
    MultiCheckboxField,
    SafeText,
    check_with,
    choices,
)
from matchmaker.blueprints.helpers import code_arg, int_arg
from matchmaker.models.profiles import VOLUNTEER_TEAMS
from matchmaker.services.errors import DomainError
from matchmaker.services.signup import SignupInput
from matchmaker.services.validation import clean_name, parse_id_number, parse_mobile


class SignupForm(FlaskForm):
    name = StringField(_l("姓名"))
    mobile = StringField(_l("手机号码"), description=_l("用于接收审核结果和活动通知"))
    id_number = StringField(_l("身份证号码（选填）"),
                            description=_l("仅用于核对是否重复报名，加密保存"))
    # Rendered by hand (a select of towns, and villages grouped by town); the operation
    # checks that the village lies in the town.
    town = StringField(_l("所在镇（街道）"))
    village = StringField(_l("所在村（社区）"))
    teams = MultiCheckboxField(_l("愿意参加的服务队"),
                               choices=choices((t, t) for t in VOLUNTEER_TEAMS))
    skills = TextAreaField(_l("特长（选填）"), validators=[SafeText("特长", 500)],
                           description=_l("如：会计、电商直播、心理咨询、法律"))
    availability = MultiCheckboxField(_l("可服务时间"), choices=AVAILABILITY_CHOICES)
    consent = BooleanField(_l("我已阅读并同意以上个人信息保护告知书"))
    notice_version = HiddenField()
    activity = HiddenField()
    # The honeypot: hidden from people by CSS, filled in by form-filling robots.
    website = StringField(_l("网址"))

    def validate_name(self, field) -> None:
        try:
            field.data = clean_name(field.data)
        except DomainError as e:
            raise ValidationError(e.message) from None

    def validate_mobile(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("请填写手机号码"))
        check_with(parse_mobile, field)

    def validate_id_number(self, field) -> None:
        if (field.data or "").strip():
            check_with(parse_id_number, field)

    def validate_town(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("请选择所在镇（街道）"))

    def validate_teams(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("请至少选择一个服务队"))

    def validate_availability(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("请至少选择一个可服务时间"))

    def validate_consent(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("请阅读个人信息保护告知书，并勾选同意"))

    @property
    def activity_id(self) -> int | None:
        return int_arg(self.activity.data)

    @property
    def robot(self) -> bool:
        return bool((self.website.data or "").strip())

    def to_input(self) -> SignupInput:
        return SignupInput(
            name=self.name.data or "", mobile=self.mobile.data or "",
            id_number=self.id_number.data or "", town_code=self.town.data or "",
            village_code=self.village.data or "", teams=list(self.teams.data or []),
            skills=self.skills.data or "", availability=list(self.availability.data or []),
            notice_version=self.notice_version.data or "", activity_id=self.activity_id)


class PosterForm(Form):
    """The poster's choices, sent by GET (nothing is written): a plain form, no CSRF."""

    town = SelectField(_l("镇（街道）"), choices=[], validate_choice=False)
    activity = SelectField(_l("活动（选填）"), choices=[], validate_choice=False)

    @property
    def activity_id(self) -> int | None:
        return int_arg(self.activity.data)

    @property
    def town_code(self) -> str:
        return code_arg(self.town.data)
