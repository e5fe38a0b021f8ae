"""The operator console at ``/console``: a session's namespaces, the schemas, health, in a browser.

Built on the service's own access rules: the same API keys and grants (a
namespace the tenant may not read appears nowhere), writes through PUT's
own path with If-Match, the same audit lines. ``create_app`` registers
``bp`` and applies ``cookie_settings`` when ``CONSOLE`` is on; see
docs/console.md.
"""

from app.console.guard import ConsoleSessions, cookie_settings
from app.console.views import bp

__all__ = ["ConsoleSessions", "bp", "cookie_settings"]
