"""repub.web: ``repub serve``, a read-only web app over the database (docs/web.md).

``create_app(store, token=…)`` is the ASGI app (Starlette); ``repub.web.server`` binds and runs it with
uvicorn. Pages are rendered on the server (Jinja2 templates, every stored string escaped) and work
without JavaScript; the stylesheet and the one small script ship in the package.
"""

from repub.web.app import create_app

__all__ = ["create_app"]
