"""Submission keys: idempotency that cannot cross records.

A double submit (a second click, a reload, a retry after a lost answer) must return the score
already saved, never save it twice. The key that makes this work is issued by the server and
bound to its scope, so a key can only ever find a score of its own scope:

- the therapist's score form carries a token signed with ``SECRET_KEY`` (itsdangerous) that
  names the user and the episode it was issued for, and a random nonce; ``form_key`` refuses
  a token issued to someone else or for another episode (``ForeignSubmission``);
- a tablet hand-over or a remote link (a "sitting") never sends a key to the browser: the key
  of each of its measures is computed on the server (``sitting_key``).

Every stored key is an HMAC-SHA256 (64 hex digits, the width of
``Administration.submission_key``) of its kind and scope under ``SECRET_KEY``: nobody without
the secret can compute another scope's key, and keys of different kinds or scopes never meet.
``record_administration`` accepts nothing else and looks keys up within the episode only.

``SECRET_KEY_FALLBACKS`` (Flask's list for rotating the secret) is honoured on reading: a form
token signed with an old secret still verifies, and a sitting still finds the measures it
recorded before the rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer

from outcome_monitor.models import Episode, HandOver, RemoteLink, User
from outcome_monitor.services import ServiceError

Sitting = HandOver | RemoteLink

KEY_PATTERN = re.compile(r"[0-9a-f]{64}")
# A form token is about 80 characters; anything much longer was not issued here.
MAX_TOKEN_LENGTH = 200
_FORM_SALT = "outcome_monitor.score-form"


class ForeignSubmission(ServiceError):
    """A submission key or form token this server did not issue for this record and user."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "This form was not opened for this record by you, or it is damaged. Nothing was "
                "saved. Check the answers below and save again."
            )
        )


def _secrets() -> list[str]:
    """The signing secrets, newest last (the order itsdangerous and Flask's sessions use).

    Read from the app like the instrument library is: the key scheme is part of the app's
    wiring, not a per-call setting.
    """
    config = current_app.config
    return [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]


def _digest(secret: str, parts: tuple[Any, ...]) -> str:
    # The unit separator cannot occur in an id or an instrument code, so parts never run together.
    message = "\x1f".join(str(part) for part in parts).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def scoped_key(kind: str, *scope: Any) -> str:
    """The stored key for ``kind`` (e.g. "api") and its scope (e.g. token id, episode id, the
    caller's own key): an HMAC under the current secret."""
    return _digest(_secrets()[-1], (kind, *scope))


def _scoped_keys(kind: str, *scope: Any) -> list[str]:
    """The key under every secret in use, newest first (for look-ups only)."""
    return [_digest(secret, (kind, *scope)) for secret in reversed(_secrets())]


def _sitting_scope(owner: Sitting, code: str) -> tuple[str, int, int, str]:
    kind = "handover" if isinstance(owner, HandOver) else "link"
    return kind, owner.id, owner.episode_id, code


def sitting_key(owner: Sitting, code: str) -> str:
    """The key of measure ``code`` in a hand-over or link (never shown to the browser)."""
    return scoped_key(*_sitting_scope(owner, code))


def sitting_keys(owner: Sitting, code: str) -> list[str]:
    """``sitting_key`` under every secret in use, for finding what the sitting recorded."""
    return _scoped_keys(*_sitting_scope(owner, code))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(_secrets(), salt=_FORM_SALT)


def issue_form_token(*, user: User, episode: Episode) -> str:
    """A fresh token for one score form opened by ``user`` for ``episode``."""
    return str(_serializer().dumps([user.id, episode.id, secrets.token_urlsafe(16)]))


def form_key(*, token: str | None, user: User, episode: Episode) -> str | None:
    """The stored key of a score form's token; None when the form sent none.

    ForeignSubmission for a token that is too long, not signed by this server, or issued to
    another user or for another episode: it is never looked up.
    """
    if not token:
        return None
    if len(token) > MAX_TOKEN_LENGTH:
        raise ForeignSubmission()
    try:
        user_id, episode_id, nonce = _serializer().loads(token)
    except (BadData, TypeError, ValueError):
        raise ForeignSubmission() from None
    if (user_id, episode_id) != (user.id, episode.id) or not isinstance(nonce, str):
        raise ForeignSubmission()
    return scoped_key("form", user.id, episode.id, nonce)


def check_key(key: str | None) -> None:
    """ForeignSubmission unless ``key`` is None or has the shape of a key issued here (checked
    before any look-up, so an over-long key never reaches the database)."""
    if key is not None and not KEY_PATTERN.fullmatch(key):
        raise ForeignSubmission()
