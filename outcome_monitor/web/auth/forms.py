from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

PASSWORD_HELP = _l("At least 10 characters. A few unrelated words make a strong password.")


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Log in"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[DataRequired(), Length(max=40)],
    )
    submit = SubmitField(_l("Continue"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        description=PASSWORD_HELP,
        validators=[
            DataRequired(),
            Length(min=10, max=200, message=_l("Use at least 10 and at most 200 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("The new password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Set password"))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Your current password"), validators=[DataRequired(), Length(max=200)]
    )
    submit = SubmitField(_l("Change password"))


class EnrolForm(FlaskForm):
    code = StringField(
        _l("The 6-digit code your app shows now"), validators=[DataRequired(), Length(max=12)]
    )
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class RegenerateCodesForm(FlaskForm):
    code = StringField(
        _l("The 6-digit code your app shows now"), validators=[DataRequired(), Length(max=12)]
    )
    submit = SubmitField(_l("Make new recovery codes"))


class DisableMfaForm(FlaskForm):
    password = PasswordField(
        _l("Your current password"), validators=[DataRequired(), Length(max=200)]
    )
    submit = SubmitField(_l("Turn off two-factor sign-in"))


class AcknowledgeForm(FlaskForm):
    up_to = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=0)])
    next = HiddenField()
    submit = SubmitField(_l("I have read these"))
