"""Password and PIN hashing with argon2id (parameters from the app config), and the security
headers every response carries."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response

_hasher = PasswordHasher()


def init_app(app: Flask) -> None:
    global _hasher
    _hasher = PasswordHasher(
        time_cost=app.config["ARGON2_TIME_COST"],
        memory_cost=app.config["ARGON2_MEMORY_COST"],
        parallelism=1,
    )
    hsts_seconds = app.config.get("HSTS_SECONDS", 0)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        return add_security_headers(response, hsts_seconds=hsts_seconds)


# Scripts and styles come from this server's files only: no inline <script>, no event-handler
# or style attributes, no <style> blocks, no eval. Plotly needs nothing more: its base rules
# are served as static/plotly.css (which stops it injecting them), and the one <style> it still
# adds, MapLibre's (bundled for map charts, unused here), is allowed by its exact hash. A test
# recomputes both from the installed plotly.min.js. docs/security.md, "Headers".
PLOTLY_INLINE_STYLE_HASH = "sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o="
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"style-src-elem 'self' '{PLOTLY_INLINE_STYLE_HASH}'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def add_security_headers(response: Response, *, hsts_seconds: int) -> Response:
    """CSP, no framing, no MIME sniffing, same-origin referrers; HSTS when configured (production).

    A response that brings its own Content-Security-Policy keeps it (a page that needs a
    different one says so itself).
    """
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    if hsts_seconds > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts_seconds}; includeSubDomains"
    return response


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(secret_hash: str | None, secret: str) -> bool:
    if not secret_hash:
        return False
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


_dummy: tuple[PasswordHasher, str] | None = None


def verify_unknown(secret: str) -> bool:
    """Spend the time of one real verification and return False (there is no account).

    The dummy hash is made with the current parameters, so a refused unknown email costs the
    same argon2 work as a refused known one and timing does not tell which emails exist.
    """
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("no account has this password"))
    verify_secret(_dummy[1], secret)
    return False
