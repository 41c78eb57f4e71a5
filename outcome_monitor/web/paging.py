"""The ``?page=`` of a list page, checked; and the links to the other pages.

A page number is a positive whole number. Anything else (``abc``, ``0``, ``-1``, ``1.5``) gets
a clear message and status 400 with the first page shown, never a 500; a number past the last
page is an empty page with a link back to the first (``services.paging.LAST_PAGE`` bounds it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, request, url_for
from flask_babel import gettext as _

from outcome_monitor.services.paging import clamp


@dataclass(frozen=True)
class PageArg:
    number: int
    error: str | None = None

    @property
    def status(self) -> int:
        return 400 if self.error else 200


def page_arg(args: Mapping[str, str]) -> PageArg:
    raw = (args.get("page") or "").strip()
    if not raw:
        return PageArg(1)
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        return PageArg(1, _("The page number must be a whole number from 1: showing page 1."))
    return PageArg(clamp(int(raw)))


def page_url(number: int) -> str:
    """This page's URL (same path and filters) at page ``number``."""
    args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(flat=False)}
    args["page"] = str(number)
    return url_for(str(request.endpoint), **args)


def init_app(app: Flask) -> None:
    app.add_template_global(page_url, "page_url")
