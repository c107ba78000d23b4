"""``suqiu notify test CHANNEL ADDRESS``: send one message through a channel now (checks the
SMTP, SMS gateway or webhook settings); ``suqiu notify status``: the outbox by status and
channel; ``suqiu notify retry``: queue every failed message again."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core import clock
from suqiu.core.commands import SuqiuCommand
from suqiu.notify import services
from suqiu.notify.models import MessageStatus, OutboxMessage
from suqiu.notify.transports import get_transport


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Notifications: test a channel, show the outbox, queue failed messages again."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="cmd", required=True)
        test = sub.add_parser("test", help=_("send one test message now"))
        test.add_argument("channel", choices=["email", "sms", "webhook"])
        test.add_argument(
            "address", help=_("e-mail address, phone number or configured webhook URL")
        )
        sub.add_parser("status", help=_("count outbox messages by status and channel"))
        sub.add_parser("retry", help=_("queue every failed message again"))

    def handle(self, *args, cmd, **options):
        if cmd == "status":
            rows = (
                OutboxMessage.objects.values("status", "channel")
                .annotate(n=Count("id"))
                .order_by("status", "channel")
            )
            for row in rows:
                self.stdout.write(f"{row['status']:8} {row['channel']:8} {row['n']}")
            return
        if cmd == "retry":
            ids = OutboxMessage.objects.filter(status=MessageStatus.FAILED).values_list(
                "pk", flat=True
            )
            self.stdout.write(_("%(n)s messages queued again") % {"n": services.retry(ids)})
            return
        channel, address = options["channel"], options["address"]
        transport = get_transport(channel)
        if transport is None or not transport.enabled():
            raise CommandError(
                _("the %(channel)s channel is not configured (see SUQIU_NOTIFY_*)")
                % {"channel": channel}
            )
        message = OutboxMessage(
            address=address,
            recipient_key=f"address:{address}",
            channel=channel,
            kind="notify.test",
            subject=_("Suqiu test message"),
            body=_("A test message from Suqiu (suqiu notify test)."),
            created_at=clock.now(),
        )
        try:
            transport.send(message)  # not stored: a test is not part of the outbox
        except Exception as exc:
            raise CommandError(
                _("not sent: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
            ) from exc
        self.stdout.write(
            _("sent through %(channel)s to %(address)s") % {"channel": channel, "address": address}
        )
