"""Remote links: a one-time link with an expiry for the client's own phone, no login needed.

Only a SHA-256 hash of the token is stored: a database leak does not reveal usable links. The
token itself (32 random bytes) is shown to the therapist once, or emailed. A link is "used"
when the client has finished every measure on it; until then the client may reload or come
back, and every answer is kept as a draft (shared with the tablet hand-over).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import AuditOutcome, EntryMode, Episode, RemoteLink, User
from outcome_monitor.services import NotFound, ServiceError
from outcome_monitor.services.audit import record
from outcome_monitor.services.drafts import save_answers, submit_measure
from outcome_monitor.services.handover import check_codes
from outcome_monitor.services.mail import SmtpSettings, send_mail
from outcome_monitor.services.measures import RecordedAdministration

MAX_VALID_DAYS = 60


class LinkStatus(StrEnum):
    """A link as the therapist's panel shows it."""

    USED = "used"
    EXPIRED = "expired"
    OPENED = "opened"
    WAITING = "waiting"


class LinkUnavailable(ServiceError):
    """The link exists but can no longer be used (``reason``: used or expired)."""

    reason: LinkStatus | None = None


class LinkUsed(LinkUnavailable):
    reason = LinkStatus.USED


class LinkExpired(LinkUnavailable):
    reason = LinkStatus.EXPIRED


@dataclass(frozen=True)
class IssuedLink:
    link: RemoteLink
    token: str  # shown once; only its hash is stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(
    *,
    episode: Episode,
    codes: Sequence[str],
    by: User | None,
    now: datetime,
    valid_days: int,
    language: str | None = None,
) -> IssuedLink:
    """Create a link for ``codes``; ``by`` is None when the scheduler issues it."""
    codes = check_codes(codes)
    if not episode.is_active:
        raise ServiceError(_l("Links can only be sent in an active episode."))
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise ServiceError(_l("A link is valid for 1 to %(days)s days.", days=MAX_VALID_DAYS))
    token = secrets.token_urlsafe(32)
    link = RemoteLink(
        episode=episode,
        token_hash=hash_token(token),
        measures=codes,
        language=language,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    db.session.add(link)
    record(
        by=by,
        action="link.issue",
        obj=link,
        details={
            "episode": episode.id,
            "measures": codes,
            "expires_at": link.expires_at.isoformat(),
            "scheduled": by is None,
        },
    )
    db.session.commit()
    return IssuedLink(link=link, token=token)


def find_link(*, token: str, now: datetime) -> RemoteLink:
    """The usable link for ``token``; NotFound, LinkUsed or LinkExpired (each audited)."""
    link = db.session.scalar(
        sa.select(RemoteLink).where(RemoteLink.token_hash == hash_token(token))
    )
    error: ServiceError | None = None
    if link is None:
        error = NotFound(_l("This link does not exist. Check that it was copied completely."))
    elif link.used_at is not None:
        error = LinkUsed(_l("This link has already been used. Thank you, your answers were sent."))
    elif now >= link.expires_at:
        error = LinkExpired(_l("This link has expired. Ask your therapist for a new one."))
    if error is not None:
        reason = getattr(error, "reason", "") or "unknown"
        record(
            by=None,
            action="link.refused",
            obj=link,
            object_type="RemoteLink",
            details={"reason": reason},
            outcome=AuditOutcome.DENIED,
        )
        db.session.commit()
        raise error
    assert link is not None
    return link


def already_used(token: str) -> bool:
    """True when ``token`` belongs to a link whose answers are all in (read-only, not audited)."""
    used_at = db.session.scalar(
        sa.select(RemoteLink.used_at).where(RemoteLink.token_hash == hash_token(token))
    )
    return used_at is not None


def is_issued(token: str) -> bool:
    """True when ``token`` is one this service issued, used or not (read-only, not audited)."""
    found = db.session.scalar(
        sa.select(RemoteLink.id).where(RemoteLink.token_hash == hash_token(token[:200]))
    )
    return found is not None


def open_link(*, link: RemoteLink, now: datetime) -> None:
    """Note the first time the client opened the link (audited once)."""
    if link.first_opened_at is not None:
        return
    link.first_opened_at = now
    record(by=None, action="link.open", obj=link)
    db.session.commit()


def begin_link(*, link: RemoteLink, language: str, now: datetime) -> None:
    link.language = language
    link.last_activity_at = now
    db.session.commit()


def save_link_answers(
    *,
    link: RemoteLink,
    code: str,
    answers: Mapping[str, float | None],
    now: datetime,
    declined: Collection[str] = (),
) -> None:
    save_answers(owner=link, code=code, answers=answers, now=now, declined=declined)


def submit_link_measure(
    *,
    link: RemoteLink,
    code: str,
    answers: Mapping[str, float | None],
    now: datetime,
    declined: Collection[str] = (),
) -> RecordedAdministration:
    """Save and record one measure; the link is used up when its last measure is recorded.

    One transaction, as on the tablet (``drafts.submit_measure``). ``declined`` names the risk
    items the client answered with "prefer not to say".
    """

    def finish() -> None:
        if link.used_at is None:
            link.used_at = now
            record(by=None, action="link.complete", obj=link)

    return submit_measure(
        owner=link,
        code=code,
        answers=answers,
        declined=declined,
        entry_mode=EntryMode.REMOTE_LINK,
        now=now,
        finish=finish,
    )


def send_link_email(
    *, link: RemoteLink, url: str, to: str, smtp: SmtpSettings, by: User | None, now: datetime
) -> None:
    """Email the link; the address is not stored (the audit row says only that it was sent)."""
    expires = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    body = gettext(
        "Hello,\n\nyour therapist asks you to answer a few short questions before your next "
        "session. Open this link on your phone or computer:\n\n%(url)s\n\nThe link works once "
        "and expires on %(expires)s. You do not need a password.\n",
        url=url,
        expires=expires,
    )
    send_mail(smtp=smtp, to=to, subject=gettext("Questions from your therapy service"), body=body)
    link.emailed_at = now
    record(by=by, action="link.email", obj=link)
    db.session.commit()


def link_status(link: RemoteLink, now: datetime) -> LinkStatus:
    """The status shown on the therapist's panel: used, expired, opened or waiting."""
    if link.used_at is not None:
        return LinkStatus.USED
    if now >= link.expires_at:
        return LinkStatus.EXPIRED
    return LinkStatus.OPENED if link.first_opened_at is not None else LinkStatus.WAITING


def episode_links(episode: Episode, *, limit: int = 5) -> list[RemoteLink]:
    query = sa.select(RemoteLink).where(RemoteLink.episode_id == episode.id)
    return list(db.session.scalars(query.order_by(RemoteLink.id.desc()).limit(limit)))
