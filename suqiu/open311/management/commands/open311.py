"""`suqiu open311 key create NAME [--rate-limit N]` prints a new key; `key revoke NAME|PREFIX`;
`key list`."""

from django.core.management.base import CommandError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core import clock
from suqiu.core.commands import SuqiuCommand
from suqiu.open311.models import ApiClient


class Command(SuqiuCommand):
    help = gettext_lazy("Manage Open311 client applications and their API keys.")

    def add_arguments(self, parser):
        nouns = parser.add_subparsers(dest="noun", required=True)
        key = nouns.add_parser("key", help=_("API keys of client applications."))
        verbs = key.add_subparsers(dest="verb", required=True)
        create = verbs.add_parser(
            "create", help=_("Create a client application; print its key once.")
        )
        create.add_argument("name")
        create.add_argument(
            "--rate-limit", type=int, default=60, help=_("POSTs per minute (default 60).")
        )
        revoke = verbs.add_parser(
            "revoke", help=_("Revoke the active keys of NAME, or the key with PREFIX.")
        )
        revoke.add_argument("name_or_prefix")
        verbs.add_parser("list", help=_("List client applications (key prefixes only)."))

    def handle(self, *args, noun, verb, **opts):
        if verb == "create":
            name = opts["name"].strip()
            if not name or len(name) > 80:
                raise CommandError(_("The name must be 1 to 80 characters."))
            if opts["rate_limit"] < 1:
                raise CommandError(_("--rate-limit must be at least 1."))
            _client, raw = ApiClient.issue(name=name, rate_limit_per_minute=opts["rate_limit"])
            self.stdout.write(raw)
        elif verb == "revoke":
            target = opts["name_or_prefix"].strip()
            match = Q(name=target)
            if len(target) >= 8:  # a prefix short enough to match many keys is refused
                match |= Q(prefix__startswith=target)
            n = ApiClient.objects.filter(match, revoked_at__isnull=True).update(
                revoked_at=clock.now()
            )
            if n == 0:
                raise CommandError(
                    _("No active key named or prefixed %(target)r.") % {"target": target}
                )
            self.stdout.write(_("revoked %(n)s key(s)") % {"n": n})
        else:
            for c in ApiClient.objects.order_by("name", "created_at"):
                state = (
                    _("revoked %(date)s") % {"date": f"{c.revoked_at:%Y-%m-%d}"}
                    if c.revoked_at
                    else _("active")
                )
                self.stdout.write(
                    f"{c.prefix}…  {c.name}  {c.rate_limit_per_minute}/min  "
                    f"{c.created_at:%Y-%m-%d %H:%M}  {state}"
                )
