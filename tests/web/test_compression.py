"""Responses are gzipped when the browser accepts it, except tiny and streamed ones."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response

from config import TestingConfig
from outcome_monitor import create_app
from outcome_monitor.security import CONTENT_SECURITY_POLICY

GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def _app_with_routes() -> Flask:
    """A fresh app with three test routes beside the real ones."""
    app = create_app(TestingConfig)

    @app.get("/_test/big")
    def big() -> str:
        return "<!doctype html><p>" + "synthetic row " * 500 + "</p>"

    @app.get("/_test/small")
    def small() -> str:
        return "<p>ok</p>"

    @app.get("/_test/stream")
    def stream() -> Response:
        def rows() -> Iterator[str]:
            yield "a,b\n"
            yield "1,2\n" * 500

        return Response(rows(), mimetype="text/html")

    return app


def test_a_large_page_is_gzipped_for_a_browser_that_accepts_it(world: Any, login_as: Any) -> None:
    client = login_as(world.alice)

    response = client.get(f"/clients/{world.alices_client.id}", headers=GZIP)

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    html = gzip.decompress(response.get_data()).decode()
    assert "A-001" in html
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_a_gzipped_page_keeps_its_security_headers(world: Any, login_as: Any) -> None:
    client = login_as(world.alice)

    response = client.get(f"/clients/{world.alices_client.id}", headers=GZIP)

    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_browser_that_does_not_accept_gzip_gets_plain_html(world: Any, login_as: Any) -> None:
    client = login_as(world.alice)

    response = client.get(f"/clients/{world.alices_client.id}")

    assert "Content-Encoding" not in response.headers
    assert "A-001" in response.get_data(as_text=True)


def test_gzip_is_chosen_even_when_brotli_and_zstd_are_offered() -> None:
    response = _app_with_routes().test_client().get("/_test/big", headers=GZIP)

    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()).startswith(b"<!doctype html>")


def test_a_tiny_response_is_not_compressed() -> None:
    response = _app_with_routes().test_client().get("/_test/small", headers=GZIP)

    assert "Content-Encoding" not in response.headers
    assert response.get_data() == b"<p>ok</p>"


def test_the_health_check_is_not_compressed(client: Any) -> None:
    response = client.get("/healthz", headers=GZIP)

    assert "Content-Encoding" not in response.headers
    assert response.get_json()["status"] == "ok"


def test_a_streamed_response_goes_out_uncompressed_as_it_is_made() -> None:
    response = _app_with_routes().test_client().get("/_test/stream", headers=GZIP)

    assert "Content-Encoding" not in response.headers
    assert response.is_streamed
    assert response.get_data(as_text=True).startswith("a,b\n1,2\n")


def test_gzip_can_be_left_to_the_proxy() -> None:
    class ProxyCompresses(TestingConfig):
        def __init__(self) -> None:
            super().__init__({"GZIP_RESPONSES": "false"})

    response = create_app(ProxyCompresses).test_client().get("/login", headers=GZIP)

    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
