"""Models of rates."""

from django.db import models  # noqa: F401
