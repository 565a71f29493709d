"""Response headers that keep pages where they belong.

Every response gets a Content-Security-Policy that allows only the app's own scripts,
styles, images and forms (``default-src 'self'``: no inline script or style, no CDN), may
not be framed (``frame-ancestors 'none'``), is not sniffed into another type, and leaks
at most the origin to other sites. Pages carry personal data, so nothing but static files
may be cached. Strict-Transport-Security is sent only when the deployment says it is
served over HTTPS (``MATCHMAKER_HTTPS``) or the request came over HTTPS (directly, or as
a trusted proxy reports it): a plain-HTTP intranet install never gets it.
"""

from __future__ import annotations

from flask import Flask, request

CSP = "; ".join([
    "default-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000"


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        headers = response.headers
        if request.endpoint != "static":
            # Overwritten, not defaulted: send_file marks downloads "no-cache" (may be
            # stored), and the exports are the most personal responses of all.
            headers["Cache-Control"] = "no-store"
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")  # for browsers without CSP 2
        if app.config.get("SESSION_COOKIE_SECURE") or request.is_secure:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
