"""Models of replies."""

from django.db import models  # noqa: F401
