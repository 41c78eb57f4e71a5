"""The documentation page (Swagger UI on the OpenAPI document), its files served from the
installed ``flask-swagger-ui`` package (no CDN: clinics may be offline) and started by a script
file (the app's Content-Security-Policy allows no inline script); and problem answers for
unknown /api/ paths."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, current_app, render_template, request, send_from_directory, url_for
from flask.wrappers import Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from outcome_monitor.api import problems

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
OWN_ASSETS = Path(__file__).resolve().parent / "assets"
ASSETS = {
    "swagger-ui.css": SWAGGER_UI_DIST,
    "swagger-ui-bundle.js": SWAGGER_UI_DIST,
    "swagger-init.js": OWN_ASSETS,
}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

bp = Blueprint("api_extra", __name__, url_prefix="/api")
problems.register(bp)


@bp.route("/docs")
def swagger_ui() -> str:
    return render_template(
        "api/docs.html",
        title=current_app.config["API_TITLE"],
        spec_url=url_for("api-docs.openapi_json"),
    )


@bp.route("/docs/assets/<name>")
def swagger_asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound()
    return send_from_directory(ASSETS[name], name, max_age=86400)


@bp.route("/", defaults={"path": ""}, methods=METHODS)
@bp.route("/<path:path>", methods=METHODS)
def unknown(path: str) -> Response:
    """A path the API does not have is a 404 problem; a known path with another method a 405."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:  # no such route, or a redirect to one
            continue
        if endpoint != request.endpoint:
            allowed.append(method)
    if allowed:
        raise MethodNotAllowed(valid_methods=allowed)
    raise NotFound()
