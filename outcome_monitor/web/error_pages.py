"""The 403 and 404 pages."""

from __future__ import annotations

from flask import Flask, render_template


def init_app(app: Flask) -> None:
    for code in (403, 404):
        app.register_error_handler(code, _error_page(code))


def _error_page(code: int):
    def handler(error: Exception) -> tuple[str, int]:
        return render_template("error.html", code=code), code

    return handler
