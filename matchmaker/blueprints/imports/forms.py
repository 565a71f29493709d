"""Forms of the import pages: the upload, and the confirmation of a dry run."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField
from wtforms.validators import InputRequired

ALLOWED = ["xlsx", "csv"]


class UploadForm(FlaskForm):
    file = FileField(_l("表格文件"), validators=[
        FileRequired(_l("请选择要导入的文件")),
        FileAllowed(ALLOWED, _l("只能导入 .xlsx 或 .csv 文件")),
    ], description=_l("Excel（.xlsx）或 CSV（UTF-8 或 GB18030）；第一行为表头"))
    all_or_nothing = BooleanField(_l("全部或全不：有任何一行有问题时，整个文件都不导入"))


class ConfirmForm(FlaskForm):
    token = HiddenField(validators=[InputRequired()])
