"""Forms of the notes blueprint: a term's progress note, a letter declined with a reason."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField

from matchmaker.blueprints.fields import SafeText
from matchmaker.services.letters import REVIEW_NOTE_MAX
from matchmaker.services.progress_notes import NOTE_MAX


class NoteForm(FlaskForm):
    # Choices are set by the route (girls in the user's regions, recent terms); the
    # service checks the values, so its Chinese message stands beside the field.
    student = SelectField(_l("春蕾学员"), choices=[], validate_choice=False)
    term = SelectField(_l("学期"), choices=[], validate_choice=False)
    body = TextAreaField(
        _l("进展内容"), validators=[SafeText("进展内容", NOTE_MAX, required=True)],
        description=_l("捐助人会读到这段文字：请只写学习和生活的进展，不写学员全名、学校名称、"
                       "监护人姓名、电话或身份证号"),
        render_kw={"rows": 8})


class DeclineForm(FlaskForm):
    note = TextAreaField(
        _l("不转交的原因"), validators=[SafeText("不转交的原因", REVIEW_NOTE_MAX, required=True)],
        description=_l("这段话会通知捐助人"), render_kw={"rows": 3})
