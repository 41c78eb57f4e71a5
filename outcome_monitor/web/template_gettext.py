"""The templates' ``_()``: the request's translations looked up once, not on every call.

Flask-Babel's template callables find the request's locale and its translations again for
every string (about 20 µs each on our machine), and a list page translates 100-200 strings.
The locale is decided once per request (the app never switches it with ``force_locale``),
so the translations are kept on ``g`` for the rest of the request.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context
from flask_babel import get_translations


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
    translations = g.get("_template_translations")
    if translations is None:
        translations = get_translations()
        if has_request_context():  # an app context alone (a job's e-mail) keeps no state
            g._template_translations = translations
    return translations
