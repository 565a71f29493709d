from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from matchmaker.blueprints.fields import SafeText


class LetterForm(FlaskForm):
    body = TextAreaField(_l("来信内容"), validators=[SafeText("来信内容", 2000, required=True)],
                         render_kw={"rows": 6, "maxlength": 2000})
