"""Worker duties of the appeals app."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from suqiu.appeals.models import IdempotencyKey


def purge_idempotency_keys() -> int:
    """Forget Idempotency-Key records older than the retention window (48 h by default).

    Deleting is idempotent, so two workers doing it at once is harmless.
    """
    cutoff = timezone.now() - timedelta(hours=settings.SUQIU["IDEMPOTENCY_TTL_HOURS"])
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
