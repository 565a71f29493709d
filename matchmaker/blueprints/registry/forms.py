"""Forms for people and their profiles. Each form owns its checks (validate_<field>) and
reuses the same parsers as imports and the CLI, so a message reads the same everywhere."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, NumberRange

from matchmaker.blueprints.fields import (
    AVAILABILITY_CHOICES,
    MultiCheckboxField,
    SafeText,
    check_with,
    choices,
    label_choices,
)
from matchmaker.models.profiles import (
    DONOR_KIND_LABELS,
    INDUSTRY_LABELS,
    MENTEE_KIND_LABELS,
    MENTOR_KIND_LABELS,
    VOLUNTEER_SERVICES,
    VOLUNTEER_TEAMS,
)
from matchmaker.services.errors import DomainError
from matchmaker.services.people import PersonInput
from matchmaker.services.validation import (
    clean_name,
    parse_date,
    parse_id_number,
    parse_mobile,
)

NUMBER = "请填写整数"


class PersonForm(FlaskForm):
    name = StringField(_l("姓名"))
    id_number = StringField(_l("身份证号码"), description=_l("填写后自动读取出生日期和性别"))
    gender = SelectField(_l("性别"), choices=choices([("", "—"), ("F", _l("女")), ("M", _l("男"))]))
    birth_date = StringField(_l("出生日期"), description=_l("如 1985-03-08 或 1985年3月8日"))
    mobile = StringField(_l("手机号码"))
    region = SelectField(_l("所在地区"), choices=[])
    household = StringField(_l("户号"), validators=[SafeText("户号", 40)],
                            description=_l("同一户的家庭成员不会被安排结对"))
    note = TextAreaField(_l("备注"), validators=[SafeText("备注", 500)])

    def validate_name(self, field) -> None:
        try:
            field.data = clean_name(field.data)
        except DomainError as e:
            raise ValidationError(e.message) from None

    def validate_id_number(self, field) -> None:
        if (field.data or "").strip():
            check_with(parse_id_number, field)

    def validate_birth_date(self, field) -> None:
        if (field.data or "").strip():
            check_with(parse_date, field)

    def validate_mobile(self, field) -> None:
        if (field.data or "").strip():
            check_with(parse_mobile, field)

    def validate_region(self, field) -> None:
        if not field.data:
            raise ValidationError("请选择所在地区")

    def to_input(self, *, editing: bool = False) -> PersonInput:
        birth = (self.birth_date.data or "").strip()
        return PersonInput(
            editing=editing,
            name=self.name.data, region_code=self.region.data, gender=self.gender.data or "",
            birth_date=parse_date(birth) if birth else None, mobile=self.mobile.data or "",
            id_number=self.id_number.data or "", note=self.note.data or "",
            household=self.household.data or "",
        )


class ProfileForm(FlaskForm):
    """Profile forms turn their fields into model columns with ``values()``."""

    multi: tuple[str, ...] = ()
    # Personal numbers: never prefilled (they would show unmasked); blank on edit = unchanged.
    secret: tuple[str, ...] = ()

    def values(self, *, editing: bool = False) -> dict[str, object]:
        out = {}
        for name, field in self._fields.items():
            if name == "csrf_token" or (editing and name in self.secret and not field.data):
                continue
            if name in self.multi:  # stored in the order of the choices, whatever was sent
                picked = set(field.data or [])
                out[name] = ",".join(c.value for c in field.choices if c.value in picked)
            else:
                out[name] = field.data
        return out

    def load(self, profile) -> None:
        """Fill the form from a profile on GET."""
        for name, field in self._fields.items():
            if name == "csrf_token" or name in self.secret:
                continue
            value = getattr(profile, name)
            field.data = [v for v in (value or "").split(",") if v] if name in self.multi \
                else value


class VolunteerForm(ProfileForm):
    multi = ("services", "availability")
    team = SelectField(_l("服务队"), choices=choices((t, t) for t in VOLUNTEER_TEAMS))
    services = MultiCheckboxField(_l("服务项目"),
                                  choices=choices((s, s) for s in VOLUNTEER_SERVICES))
    skills = TextAreaField(_l("特长"), validators=[SafeText("特长", 500)])
    availability = MultiCheckboxField(_l("可服务时间"), choices=AVAILABILITY_CHOICES)


class MentorForm(ProfileForm):
    multi = ("availability",)
    kind = SelectField(_l("类别"), choices=label_choices(MENTOR_KIND_LABELS))
    specialty = StringField(_l("专长"), validators=[SafeText("专长", 100, required=True)])
    industry = SelectField(_l("行业"), choices=label_choices(INDUSTRY_LABELS))
    organisation = StringField(_l("单位"), validators=[SafeText("单位", 100)])
    experience = TextAreaField(_l("经历简介"), validators=[SafeText("经历简介", 1000)])
    capacity = IntegerField(_l("可带徒人数"), default=1, validators=[
        InputRequired(NUMBER), NumberRange(0, 20, "可带徒人数应在 0 到 20 之间")])
    availability = MultiCheckboxField(_l("可指导时间"), choices=AVAILABILITY_CHOICES)


class MenteeForm(ProfileForm):
    multi = ("availability",)
    kind = SelectField(_l("类别"), choices=label_choices(MENTEE_KIND_LABELS))
    needs = TextAreaField(_l("帮扶需求"), validators=[SafeText("帮扶需求", 1000, required=True)])
    industry = SelectField(_l("意向行业"), choices=label_choices(INDUSTRY_LABELS))
    hardship = IntegerField(_l("困难程度（0–5）"), default=0, validators=[
        InputRequired(NUMBER), NumberRange(0, 5, "困难程度应在 0 到 5 之间")])
    school = StringField(_l("学校"), validators=[SafeText("学校", 100)])
    major = StringField(_l("专业"), validators=[SafeText("专业", 100)])
    availability = MultiCheckboxField(_l("可参加时间"), choices=AVAILABILITY_CHOICES)


GUARDIAN_RELATIONS = ("母亲", "父亲", "祖母", "祖父", "外婆", "外公", "其他亲属", "其他")


class SpringBudForm(ProfileForm):
    secret = ("guardian_mobile",)
    school = StringField(_l("学校"), validators=[SafeText("学校", 100, required=True)])
    grade = StringField(_l("年级"), validators=[SafeText("年级", 20, required=True)])
    guardian_name = StringField(_l("监护人姓名"))
    guardian_relation = SelectField(_l("与学员关系"),
                                    choices=choices((r, r) for r in GUARDIAN_RELATIONS))
    guardian_mobile = StringField(_l("监护人手机"))
    guardian_consent = BooleanField(_l("监护人已书面同意登记和使用以上信息"))
    hardship_note = TextAreaField(_l("家庭困难情况"), validators=[SafeText("家庭困难情况", 500)])
    alias = StringField(_l("化名（捐助人看到的称呼）"), validators=[SafeText("化名", 20)])

    def validate_guardian_name(self, field) -> None:
        try:
            field.data = clean_name(field.data, field="guardian_name")
        except DomainError as e:
            raise ValidationError(e.message.replace("姓名", "监护人姓名", 1)) from None

    def validate_guardian_mobile(self, field) -> None:
        if (field.data or "").strip():
            check_with(parse_mobile, field)
            field.data = parse_mobile(field.data)
        else:
            field.data = None

    def validate_guardian_consent(self, field) -> None:
        if not field.data:
            raise ValidationError("登记未成年人须先取得监护人同意")


class DonorForm(ProfileForm):
    kind = SelectField(_l("类型"), choices=label_choices(DONOR_KIND_LABELS))
    organisation = StringField(_l("单位名称"), validators=[SafeText("单位名称", 100)])
    display_name = StringField(_l("显示名称"), validators=[SafeText("显示名称", 60)])


PROFILE_FORMS: dict[str, type[ProfileForm]] = {
    "volunteer": VolunteerForm,
    "mentor": MentorForm,
    "mentee": MenteeForm,
    "spring_bud": SpringBudForm,
    "donor": DonorForm,
}
