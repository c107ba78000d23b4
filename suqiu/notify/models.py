"""Models of notify."""

from django.db import models  # noqa: F401
