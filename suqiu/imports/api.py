"""REST API of imports (added to /api/v1/ by suqiu/api/root.py)."""

from ninja import Router

router = Router(tags=["imports"])
