"""Forms of the volunteer pipeline (the buttons without fields need only the CSRF token,
which CSRFProtect checks on every POST)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, TextAreaField

from matchmaker.blueprints.fields import SafeText
from matchmaker.blueprints.helpers import int_arg


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("不予录用的原因"), validators=[SafeText("不予录用的原因", 300,
                                                                     required=True)],
                           description=_l("会发给报名人本人，请写得平实、具体"))


def _id(raw: object) -> int:
    """A profile id: ASCII digits only (anything else makes the form invalid)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    value = int_arg(raw)
    if value is None:
        raise ValueError(raw)
    return value


class BulkAcceptForm(FlaskForm):
    # Ids are checked by the service (scope and status), one by one.
    ids = SelectMultipleField(coerce=_id, validate_choice=False)
