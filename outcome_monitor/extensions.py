"""Flask extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, request
from flask_babel import Babel, Domain
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    """Plain declarative base (not MappedAsDataclass: it breaks Flask-SQLAlchemy 3.1 on SA 2.1)."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass ``Model``: mypy cannot see through ``db.Model``, which is made at run time.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)

REQUEST_TRANSLATIONS = "outcome_monitor.translations"  # a key of the request's WSGI environ


class _RequestDomain(Domain):
    """Flask-Babel's message domain, with the request's translations looked up once.

    Flask-Babel finds the request's locale and catalogue again for every string it translates
    (about 20 µs), and a list page puts a few hundred lazy strings into words (the queue's
    reasons, the caseload's statuses). The app never switches the locale within a request
    (no ``force_locale``), so the first lookup holds for the rest of it. They are kept in the
    request's environ, not on ``g``, which outlives the request when an app context was
    already pushed (tests, CLI commands). Outside a request (a job's e-mail) nothing is kept.
    """

    def get_translations(self) -> Any:
        if not has_request_context():
            return super().get_translations()
        held = request.environ.get(REQUEST_TRANSLATIONS)
        if held is None:
            held = request.environ[REQUEST_TRANSLATIONS] = super().get_translations()
        return held


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return _RequestDomain(domain=self.domain)


babel = _Babel()
compress = Compress()
