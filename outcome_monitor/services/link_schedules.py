"""Scheduled links: the therapist chooses the day, the scheduler issues the link on that day.

A schedule is processed exactly once: the hourly job and a cancelling therapist each claim it
with a conditional UPDATE (``WHERE processed_at IS NULL``) and go on only when that UPDATE
changed one row, so two schedulers running at once cannot issue or email a link twice.

The scheduler cannot show a link to anyone, and only a hash of its token is stored. A link that
was not emailed therefore waits on the therapist's panel as "ready to pass on" until the
therapist asks to see it: that gives the link a fresh token, shown once (``reveal_link``).
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from outcome_monitor.extensions import db
from outcome_monitor.models import Episode, LinkSchedule, ScheduleState, User
from outcome_monitor.models.link_schedule import EPISODE_CLOSED
from outcome_monitor.services import ServiceError
from outcome_monitor.services.audit import record
from outcome_monitor.services.handover import check_codes
from outcome_monitor.services.links import (
    IssuedLink,
    LinkStatus,
    hash_token,
    issue_link,
    link_status,
    send_link_email,
)
from outcome_monitor.services.mail import SmtpSettings, check_address

MAX_DAYS_AHEAD = 366
# What a claimed schedule says until its run records the outcome: if the run dies while
# emailing, the link is issued but not known to be sent, and the therapist can pass it on.
INTERRUPTED = "the run stopped before it recorded whether the email was sent"
# How the job's summary names each final state.
STATE_WORDS = {
    ScheduleState.EMAILED: "emailed",
    ScheduleState.READY: "ready to pass on",
    ScheduleState.FAILED: "email failed",
    ScheduleState.SKIPPED: "skipped",
    ScheduleState.CANCELLED: "cancelled",
}
LINK_PATH = "/l/{token}"  # the client's start page, ``links.start`` (a test checks they agree)


@dataclass(frozen=True)
class Delivery:
    """How the scheduler can email: SMTP settings and the public address of the app."""

    smtp: SmtpSettings | None
    base_url: str | None

    def cannot_email(self) -> str | None:
        """Why emailing is impossible, or None when it can be tried."""
        if self.smtp is None:
            return "email is not set up (SMTP_HOST, SMTP_FROM)"
        if not self.base_url:
            return "PUBLIC_BASE_URL is not set"
        if not self.base_url.startswith(("https://", "http://")):
            return "PUBLIC_BASE_URL must start with https://"
        return None


@dataclass(frozen=True)
class Outcome:
    """How one schedule ended: its final state and, when it did not go as planned, why."""

    state: ScheduleState
    reason: str | None = None

    def text(self) -> str:
        words = STATE_WORDS[self.state]
        return f"{words}: {self.reason}" if self.reason else words


@dataclass
class DueSummary:
    """What one run did: one outcome per schedule it processed."""

    outcomes: list[Outcome] = field(default_factory=list)

    def text(self) -> str:
        """First line: counts per final state; then each distinct outcome that has a reason
        worth an admin's look (a closed episode is not one)."""
        kinds = Counter(STATE_WORDS[outcome.state] for outcome in self.outcomes)
        counts = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        head = f"processed {len(self.outcomes)} scheduled links" + (f": {counts}" if counts else "")
        noted = {o.text() for o in self.outcomes if o.reason and o.reason != EPISODE_CLOSED}
        return "\n".join([head, *sorted(noted)])


def link_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + LINK_PATH.format(token=token)


def schedule_link(
    *,
    episode: Episode,
    codes: Sequence[str],
    send_on: date,
    email: str | None,
    by: User,
    now: datetime,
    today: date,
    language: str | None = None,
) -> LinkSchedule:
    """Ask the scheduler to issue a link on ``send_on`` (``today``: the clinic's date)."""
    codes = check_codes(codes)
    if not episode.is_active:
        raise ServiceError(_l("Links can only be sent in an active episode."))
    if not today <= send_on <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise ServiceError(_l("Choose a date from today to a year ahead."))
    address = check_address(email) if email and email.strip() else None
    schedule = LinkSchedule(
        episode=episode,
        measures=codes,
        send_on=send_on,
        email=address,
        language=language,
        created_by=by,
        created_at=now,
    )
    db.session.add(schedule)
    details = {"episode": episode.id, "measures": codes, "send_on": send_on.isoformat()}
    details["by_email"] = address is not None  # never the address itself
    record(by=by, action="link_schedule.create", obj=schedule, details=details)
    db.session.commit()
    return schedule


def _claim(schedule_id: int, now: datetime, **values: Any) -> bool:
    """Set ``processed_at`` if nobody has; True only for the one caller that did."""
    claimed = db.session.execute(
        sa.update(LinkSchedule)
        .where(LinkSchedule.id == schedule_id, LinkSchedule.processed_at.is_(None))
        .values(processed_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return cast(sa.CursorResult[Any], claimed).rowcount == 1


def cancel_schedule(*, schedule: LinkSchedule, by: User, now: datetime) -> None:
    """Cancel a link not yet issued; ServiceError when the scheduler (or a click) came first."""
    if not _claim(schedule.id, now, state=ScheduleState.CANCELLED, email=None):
        db.session.rollback()
        raise ServiceError(_l("This scheduled link was already sent or cancelled."))
    record(by=by, action="link_schedule.cancel", obj=schedule)
    db.session.commit()


def due_schedules(*, today: date) -> list[LinkSchedule]:
    query = sa.select(LinkSchedule).where(
        LinkSchedule.processed_at.is_(None), LinkSchedule.send_on <= today
    )
    return list(db.session.scalars(query.order_by(LinkSchedule.send_on, LinkSchedule.id)))


def issue_due_links(
    *,
    today: date,
    now: datetime,
    smtp: SmtpSettings | None,
    base_url: str | None,
    valid_days: int,
) -> DueSummary:
    """Issue (and email, when possible) every link due by ``today``; each schedule once."""
    delivery = Delivery(smtp=smtp, base_url=base_url)
    summary = DueSummary()
    for schedule_id in [s.id for s in due_schedules(today=today)]:
        outcome = _process(schedule_id, delivery=delivery, now=now, valid_days=valid_days)
        if outcome is not None:
            summary.outcomes.append(outcome)
    return summary


def _process(
    schedule_id: int, *, delivery: Delivery, now: datetime, valid_days: int
) -> Outcome | None:
    """1. Claim the schedule (None: another run has it), provisionally FAILED (``INTERRUPTED``).
    2. Skip a closed episode. 3. Issue the link; the claim is committed with it, and the link
    is tied to the schedule before 4. emailing it when possible. 5. Record the outcome."""
    if not _claim(schedule_id, now, state=ScheduleState.FAILED, reason=INTERRUPTED):
        db.session.rollback()
        return None
    schedule = db.session.get_one(LinkSchedule, schedule_id, populate_existing=True)
    if not schedule.episode.is_active:
        return _finish(schedule, Outcome(ScheduleState.SKIPPED, EPISODE_CLOSED))
    try:
        issued = issue_link(
            episode=schedule.episode,
            codes=schedule.measures,
            by=None,
            now=now,
            valid_days=valid_days,
            language=schedule.language,
        )
    except ServiceError as error:
        return _finish(schedule, Outcome(ScheduleState.SKIPPED, str(error)))
    schedule.link = issued.link
    db.session.commit()  # before the email: a run that stops while sending keeps the link
    return _finish(schedule, _deliver(schedule, issued, delivery, now))


def _deliver(
    schedule: LinkSchedule, issued: IssuedLink, delivery: Delivery, now: datetime
) -> Outcome:
    if schedule.email is None:
        return Outcome(ScheduleState.READY)
    reason = delivery.cannot_email()
    if reason is not None:
        return Outcome(ScheduleState.READY, f"not emailed: {reason}")
    assert delivery.smtp is not None and delivery.base_url is not None
    url = link_url(delivery.base_url, issued.token)
    try:
        send_link_email(
            link=issued.link, url=url, to=schedule.email, smtp=delivery.smtp, by=None, now=now
        )
    except ServiceError as error:
        return Outcome(ScheduleState.FAILED, str(error))
    return Outcome(ScheduleState.EMAILED)


def _finish(schedule: LinkSchedule, outcome: Outcome) -> Outcome:
    schedule.state, schedule.reason, schedule.email = outcome.state, outcome.reason, None
    details = {
        "state": outcome.state.value,
        "reason": outcome.reason,
        "link": schedule.link.id if schedule.link else None,
    }
    record(by=None, action="link_schedule.process", obj=schedule, details=details)
    db.session.commit()
    return outcome


def reveal_link(*, schedule: LinkSchedule, by: User, now: datetime) -> IssuedLink:
    """A fresh token for the scheduled link, shown once; any earlier copy stops working.

    Only while nobody has opened the link: once the client has, it is theirs.
    """
    link = schedule.link
    if link is None or link_status(link, now) != LinkStatus.WAITING:
        raise ServiceError(_l("This link has been opened, used or has expired; it is not shown."))
    token = secrets.token_urlsafe(32)
    link.token_hash = hash_token(token)
    record(by=by, action="link.reveal", obj=link, details={"schedule": schedule.id})
    db.session.commit()
    return IssuedLink(link=link, token=token)


def episode_schedules(episode: Episode, *, recent: int = 5) -> list[LinkSchedule]:
    """Pending schedules (soonest first), then the ``recent`` last processed ones (one query:
    the pending ones and the ids of the recent ones, ordered here)."""
    recent_ids = (
        sa.select(LinkSchedule.id)
        .where(LinkSchedule.episode_id == episode.id, LinkSchedule.processed_at.is_not(None))
        .order_by(LinkSchedule.processed_at.desc(), LinkSchedule.id.desc())
        .limit(recent)
    )
    found = db.session.scalars(
        sa.select(LinkSchedule).where(
            LinkSchedule.episode_id == episode.id,
            sa.or_(LinkSchedule.processed_at.is_(None), LinkSchedule.id.in_(recent_ids)),
        )
    ).all()
    pending = sorted((s for s in found if s.processed_at is None), key=lambda s: (s.send_on, s.id))
    done = sorted(
        (s for s in found if s.processed_at is not None),
        key=lambda s: (s.processed_at, s.id),
        reverse=True,
    )
    return [*pending, *done]
