from django.conf import settings
from django.templatetags.static import static


def suqiu(request):
    """Values every page template needs (map configuration, the user's roles)."""
    user = getattr(request, "user", None)
    roles = set()
    nav = []
    unread = None
    if user is not None and user.is_authenticated:
        from suqiu.directory.access import roles_of

        roles = roles_of(user)
        if request.path.startswith("/workbench/") and roles - {"resident"}:
            # Links other apps add to the workbench (suqiu/appeals/extensions.py).
            from suqiu.appeals.extensions import nav_for
            from suqiu.directory.access import actor_for

            nav = nav_for(request, getattr(request, "actor", None) or actor_for(user))
        elif not roles - {"resident"}:
            # A resident's "Messages" link: the count is only queried if a page shows the link.
            from suqiu.notify.selectors import unread_count

            user_id = user.pk

            def unread():
                return unread_count(user_id)

    return {
        "SUQIU_MAP": {
            "tile_url": settings.SUQIU["MAP_TILE_URL"],
            "attribution": settings.SUQIU["MAP_TILE_ATTRIBUTION"],
            "gcj02": settings.SUQIU["MAP_TILES_GCJ02"],
            "center": settings.SUQIU["MAP_CENTER"],
            "icons": {
                "icon": static("leaflet/images/marker-icon.png"),
                "icon_2x": static("leaflet/images/marker-icon-2x.png"),
                "shadow": static("leaflet/images/marker-shadow.png"),
            },
        },
        "user_roles": roles,
        "is_staff_user": bool(roles - {"resident"}),
        "workbench_nav": nav,
        "resident_unread": unread,
    }
