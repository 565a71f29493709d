from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from matchmaker.blueprints.fields import MultiSelectField, SafeText, label_choices
from matchmaker.models.user import ROLE_LABELS


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名")),
                                                  Length(max=40)])
    display_name = StringField(_l("显示名称"), validators=[SafeText("显示名称", 40)])
    role = SelectField(_l("角色"), choices=label_choices(ROLE_LABELS))
    regions = MultiSelectField(_l("负责地区（协调员）"), choices=[],
                                  description=_l("按住 Ctrl 可多选；选镇即包含其下所有村"))
    active = BooleanField(_l("账号可用"), default=True)
    password = PasswordField(
        _l("密码"), description=_l("至少 8 位，含字母和数字或符号；修改时留空表示不变"))
    unlock = BooleanField(_l("解除登录锁定"),
                          description=_l("连续输错密码被锁定的账号，勾选后可立即重新登录"))
