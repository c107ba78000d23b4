"""Models of hotspots."""

from django.db import models  # noqa: F401
