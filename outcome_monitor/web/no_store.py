"""Pages with client data are never cached (the security headers are set in security.py)."""

from __future__ import annotations

from flask import Flask, Response, request


def _no_store(response: Response) -> Response:
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_no_store)
