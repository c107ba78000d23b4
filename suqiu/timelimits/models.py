"""Models of timelimits."""

from django.db import models  # noqa: F401
