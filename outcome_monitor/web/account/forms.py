from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange

from outcome_monitor.models import TokenScope
from outcome_monitor.services.api_tokens import (
    DEFAULT_EXPIRES_DAYS,
    MAX_EXPIRES_DAYS,
    MAX_NAME_LENGTH,
)


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=MAX_NAME_LENGTH)],
        description=_l("What the token is for, e.g. 'EHR link' (to tell tokens apart)."),
    )
    scope = SelectField(
        _l("Access"),
        choices=[
            SelectChoice(TokenScope.READ.value, _l("Read only")),
            SelectChoice(
                TokenScope.READ_WRITE.value, _l("Read and write (record scores, acknowledge)")
            ),
        ],
        default=TokenScope.READ.value,
    )
    expires_days = IntegerField(
        _l("Expires after (days)"),
        default=DEFAULT_EXPIRES_DAYS,
        validators=[NumberRange(min=1, max=MAX_EXPIRES_DAYS)],
    )
    submit = SubmitField(_l("Create token"))


class RevokeForm(FlaskForm):
    submit = SubmitField(_l("Revoke"))
