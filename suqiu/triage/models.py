"""Models of triage."""

from django.db import models  # noqa: F401
