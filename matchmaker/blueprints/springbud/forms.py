"""Forms of the Spring Bud sponsorship pages: the guardian's consent, a link to a pledge,
the end of a link. Each form owns its checks; the services check again."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, ValidationError

from matchmaker.blueprints.fields import SafeText, check_with
from matchmaker.services.validation import parse_date

DEFAULT_SCOPE = _l("春蕾结对资助：妇联审核与发放助学金；向捐助人提供化名、年龄段、年级、"
                   "所在镇和审核后的学期成长情况")


class GuardianConsentForm(FlaskForm):
    given_by = StringField(_l("监护人姓名"), validators=[SafeText("监护人姓名", 30, required=True)])
    relation = StringField(_l("与学生关系"), validators=[SafeText("与学生关系", 10, required=True)],
                           description=_l("如 母亲、父亲、祖母"))
    scope = StringField(_l("同意范围"), validators=[SafeText("同意范围", 200, required=True)])
    signed_on = StringField(_l("签署日期"),
                            description=_l("监护人在纸质同意书上签字的日期，如 2026-09-01；"
                                           "不填表示今天"))
    notice_shown = BooleanField(_l("已向监护人出示并讲解上面的告知书，监护人已在纸质同意书上签字"))

    def validate_signed_on(self, field) -> None:
        if (field.data or "").strip():
            check_with(lambda v: parse_date(v, field="signed_on"), field)

    @property
    def signed_date(self):
        """The signing date as typed, or None (today)."""
        raw = (self.signed_on.data or "").strip()
        return parse_date(raw, field="signed_on") if raw else None

    def validate_notice_shown(self, field) -> None:
        if not field.data:
            raise ValidationError(_("须先向监护人出示告知书并取得签字"))


class LinkForm(FlaskForm):
    # The service decides whether a pledge may take her (in scope, active, with room).
    pledge = SelectField(_l("捐助承诺"), choices=[], validate_choice=False)

    def validate_pledge(self, field) -> None:
        if not field.data or not str(field.data).isascii() or not str(field.data).isdigit() \
                or len(str(field.data)) > 9:
            raise ValidationError(_("请选择一项还有名额的捐助承诺"))


class EndForm(FlaskForm):
    reason = StringField(_l("结束原因"), validators=[SafeText("结束原因", 200, required=True)])
