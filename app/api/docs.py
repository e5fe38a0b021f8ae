"""``/openapi.json`` and ``/docs``: the OpenAPI document and a page to browse it; no key needed.

The page is Swagger UI, whose files come from the flask-swagger-ui package
(its wheel ships Swagger UI's ``dist``) and are served from here, under
``/docs/``: the page loads nothing from another host, so it works offline.
"""

from __future__ import annotations

from importlib.resources import files

from flask import Blueprint, Response, current_app, send_from_directory, url_for
from markupsafe import escape

from app.api.http import json_response
from app.errors import NotFound
from app.services import current_services

bp = Blueprint("apidocs", __name__)

SWAGGER_UI_DIST = str(files("flask_swagger_ui").joinpath("dist"))
ASSETS = {  # the files the page uses, and their media types
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Sessionator API</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" sizes="32x32" href="{icon32}">
  <link rel="icon" type="image/png" sizes="16x16" href="{icon16}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{bundle}"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{document}", dom_id: "#swagger-ui", deepLinking: true,
      validatorUrl: null  // Swagger UI would otherwise send the document to swagger.io
    }});
  </script>
</body>
</html>
"""


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """This service's OpenAPI 3.1 document, generated from its code and schemas in force."""
    services = current_services()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return json_response(services.openapi.document(app, services))


@bp.get("/docs")
def docs_page() -> Response:
    """A page to browse and try this document (Swagger UI, served from this service)."""

    def asset(name: str) -> str:
        return str(escape(url_for("apidocs.docs_asset", asset=name)))

    page = _PAGE.format(
        css=asset("swagger-ui.css"),
        icon32=asset("favicon-32x32.png"),
        icon16=asset("favicon-16x16.png"),
        bundle=asset("swagger-ui-bundle.js"),
        document=escape(url_for("apidocs.openapi_document")),
    )
    return Response(page, mimetype="text/html")


@bp.get("/docs/<asset>")
def docs_asset(asset: str) -> Response:
    """One of the files of the page, as the Swagger UI package ships it."""
    if asset not in ASSETS:
        raise NotFound(f"The docs page has no file {asset[:100]!r}.")
    return send_from_directory(SWAGGER_UI_DIST, asset, mimetype=ASSETS[asset])
