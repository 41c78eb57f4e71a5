"""The templates' ``_()``: the request's translations looked up once, not on every call.

Flask-Babel's template callables find the request's locale and its translations again for
every string (about 20 µs each on our machine), and a list page translates 100-200 strings.
The locale is decided once per request (the app never switches it with ``force_locale``):
the app's Babel domain (``extensions._RequestDomain``) keeps the request's translations in
the request's environ, and these callables read them from there.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import get_translations

from outcome_monitor.extensions import REQUEST_TRANSLATIONS


def init_app(app: Flask) -> None:
    """Replace the callables Flask-Babel installed (call after ``babel.init_app``)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def _translations() -> Any:
    # Kept in the request's environ by the app's Babel domain after the first lookup.
    held = request.environ.get(REQUEST_TRANSLATIONS) if has_request_context() else None
    return held if held is not None else get_translations()
