"""Template context every panel page needs: the navigation the user may see."""

from django.http import HttpRequest

from oms.navigation import ADMIN_LINKS, SECTIONS, visible_sections


def panel(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = request.resolver_match.url_name if request.resolver_match else ""
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    return {
        "nav_sections": visible_sections(user, SECTIONS),
        "nav_admin": visible_sections(user, ADMIN_LINKS),
        "nav_current": namespace or current,
    }
