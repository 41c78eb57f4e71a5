"""Outgoing email through a plain SMTP relay (stdlib ``smtplib``); optional.

The settings come from the app config (``SMTP_*``, read by the caller): services receive them
as a value and never read the config themselves. Without ``SMTP_HOST`` and ``SMTP_FROM`` the
app simply offers no email.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from flask_babel import lazy_gettext as _l

from outcome_monitor.services import ServiceError


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings | None:
        """The settings in ``config``, or None when email is not configured."""
        host, sender = config.get("SMTP_HOST"), config.get("SMTP_FROM")
        if not host or not sender:
            return None
        return cls(
            host=str(host),
            port=int(config.get("SMTP_PORT") or 25),
            sender=str(sender),
            username=config.get("SMTP_USERNAME") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=bool(config.get("SMTP_STARTTLS") or False),
            timeout=float(config.get("SMTP_TIMEOUT") or 10.0),
        )


def check_address(address: str) -> str:
    """A plausible single address (no display name, no header tricks); ServiceError otherwise."""
    address = address.strip()
    local, _at, domain = address.partition("@")
    if not local or "." not in domain or any(c in address for c in " \r\n,;<>"):
        raise ServiceError(_l("Enter a valid email address."))
    return address


def send_mail(*, smtp: SmtpSettings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; ServiceError (nothing else) when the relay fails."""
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = check_address(to)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as connection:
            if smtp.starttls:
                connection.starttls(context=ssl.create_default_context())
            if smtp.username and smtp.password:
                connection.login(smtp.username, smtp.password)
            connection.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise ServiceError(_l("The email could not be sent. Copy the link instead.")) from error
