from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length

from outcome_monitor.models import Role

ROLE_CHOICES = [
    SelectChoice(Role.THERAPIST.value, _l("Therapist")),
    SelectChoice(Role.SUPERVISOR.value, _l("Supervisor")),
    SelectChoice(Role.ADMIN.value, _l("Administrator")),
]


class UserForm(FlaskForm):
    """A new account gets an invitation link; its owner chooses the password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    team_id = SelectField(_l("Team"), coerce=int)
    submit = SubmitField(_l("Invite user"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    submit = SubmitField(_l("Change role"))


class TeamsForm(FlaskForm):
    team_id = SelectField(_l("Team"), coerce=int)
    supervised = SelectMultipleField(_l("Supervises teams"), coerce=int)
    submit = SubmitField(_l("Save teams"))


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Create team"))


class ConfirmForm(FlaskForm):
    submit = SubmitField()
