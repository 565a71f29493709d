from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from matchmaker.blueprints.fields import check_with
from matchmaker.services.users import check_password_policy


class LoginForm(FlaskForm):
    # Volunteers and donors may give their mobile; the field keeps its name (and id).
    username = StringField(_l("用户名或手机号"),
                           validators=[DataRequired(_l("请输入用户名或手机号")), Length(max=40)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")),
                                                  Length(max=200)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码")),
                                                    Length(max=200)],
                             description=_l("至少 8 位，含字母和数字或符号"))
    confirm = PasswordField(_l("再次输入新密码"), validators=[
        DataRequired(_l("请再次输入新密码")), EqualTo("password", _l("两次输入的密码不一致"))])

    def validate_password(self, field) -> None:
        check_with(check_password_policy, field)
