from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand
from suqiu.directory.models import ApiToken, User


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Manage API bearer tokens: `suqiu token create USERNAME [--name NAME]` prints a new token."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help=_("Create a token for a user and print it once."))
        create.add_argument("username")
        create.add_argument("--name", default="cli", help=_("the token's name (default cli)"))
        revoke = sub.add_parser("revoke", help=_("Revoke every token of a user, or one by prefix."))
        revoke.add_argument("username")
        revoke.add_argument("--prefix", default="", help=_("only the token with this prefix"))
        lst = sub.add_parser("list", help=_("List a user's tokens (prefixes only)."))
        lst.add_argument("username")

    def handle(self, *args, verb, username, **opts):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(_("No user named %(name)r.") % {"name": username}) from None
        if verb == "create":
            _token, raw = ApiToken.issue(user=user, name=opts["name"])
            self.stdout.write(raw)
        elif verb == "revoke":
            from django.utils import timezone

            qs = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
            if opts["prefix"]:
                qs = qs.filter(prefix__startswith=opts["prefix"])
            n = qs.update(revoked_at=timezone.now())
            from suqiu.directory import snapshot

            snapshot.bump("people")  # update() bypasses save(): tell the token caches
            self.stdout.write(_("revoked %(n)s token(s)") % {"n": n})
        else:
            for t in ApiToken.objects.filter(user=user).order_by("created_at"):
                state = _("revoked") if t.revoked_at else _("active")
                self.stdout.write(f"{t.prefix}…  {t.name}  {t.created_at:%Y-%m-%d %H:%M}  {state}")
