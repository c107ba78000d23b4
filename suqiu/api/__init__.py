"""The REST API root (/api/v1/). Routers live with their apps; see suqiu/appeals/api.py."""

from suqiu.api.root import api

__all__ = ["api"]
