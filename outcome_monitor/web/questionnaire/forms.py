from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField
from wtforms.validators import Optional


class BeginForm(FlaskForm):
    language = RadioField(_l("Language"), validators=[Optional()])
    submit = SubmitField(_l("Start"))
