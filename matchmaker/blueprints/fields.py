"""Form pieces shared by every blueprint: safe text, select choices, checkbox lists."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext, lazy_gettext
from wtforms import SelectChoice, SelectMultipleField, ValidationError, widgets

from matchmaker.models.profiles import AVAILABILITY, AVAILABILITY_LABELS
from matchmaker.services.errors import DomainError
from matchmaker.services.validation import clean_text


class SafeText:
    """Trimmed, length-checked text without markup; the message names the field."""

    def __init__(self, label: str, max_length: int, required: bool = False) -> None:
        self.label, self.max_length, self.required = label, max_length, required

    def __call__(self, form, field) -> None:
        try:
            # The label is also a field label, so it has a translation already.
            field.data = clean_text(field.data, field=field.name, label=gettext(self.label),
                                    max_length=self.max_length, required=self.required)
        except DomainError as e:
            raise ValidationError(e.message) from None


def check_with(parse, field) -> None:
    """Run a service parser as a field check; its Chinese message becomes the error."""
    try:
        parse(field.data)
    except DomainError as e:
        raise ValidationError(e.message) from None


class MultiSelectField(SelectMultipleField):
    """A multiple select whose refusal of an unknown value is in the user's language
    (WTForms' own message for this case has no Chinese translation)."""

    def pre_validate(self, form) -> None:
        allowed = {c.value for c in self.choices}
        for value in self.data or []:
            if value not in allowed:
                raise ValidationError(gettext("“%(value)s”不是有效的选择", value=value))


class MultiCheckboxField(MultiSelectField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def choices(pairs) -> list[SelectChoice]:
    """Options for a select field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def label_choices(labels: dict[str, str]) -> list[SelectChoice]:
    """Options from a code → label mapping whose labels are marked with N_: translated."""
    return [SelectChoice(value, lazy_gettext(label)) for value, label in labels.items()]


AVAILABILITY_CHOICES = label_choices({a: AVAILABILITY_LABELS[a] for a in AVAILABILITY})


def show_error(form, error: DomainError) -> None:
    """Show a service's refusal beside the field it names, or as a message at the top."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
