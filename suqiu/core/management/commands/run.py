"""`suqiu run`: set up and serve the whole system (web server + one worker)."""

import os
import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.core.commands import SuqiuCommand, aligned
from suqiu.core.management.commands.compiletranslations import compile_translations


class Command(SuqiuCommand):
    help = gettext_lazy(
        "Migrate, load demo data into an empty database, then serve on http://127.0.0.1:$PORT "
        "with one worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help=_("Do not load demo data even if the database is empty."),
        )
        parser.add_argument(
            "--no-worker", action="store_true", help=_("Serve without the background worker.")
        )
        parser.add_argument(
            "--no-train",
            action="store_true",
            help=_("Do not train a routing model from freshly loaded demo data."),
        )

    @staticmethod
    def _demo_without_model() -> bool:
        """Demo data there but no routing model was ever stored (the first training, started
        with the demo data, did not finish)."""
        from suqiu.demo.people import DEMO_USERS
        from suqiu.directory.models import User
        from suqiu.triage.models import RoutingModel

        demo = User.objects.filter(username__in=[u.username for u in DEMO_USERS]).exists()
        return demo and not RoutingModel.objects.exists()

    def handle(self, *args, **opts):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        compile_translations()
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from suqiu.appeals.models import Appeal
        from suqiu.directory.models import Organisation

        demo_loaded = False
        if (
            not opts["no_demo"]
            and not Organisation.objects.exists()
            and not Appeal.objects.exists()
        ):
            self.stdout.write(_("Empty database: loading demo data (about a minute)…"))
            try:
                call_command("demo")
                demo_loaded = True
            except CommandError as exc:
                # e.g. an administrator named like a demo user was created first: serve anyway.
                self.stderr.write(_("Demo data not loaded: %(reason)s") % {"reason": exc})
        connection.close()

        env = dict(os.environ, PORT=str(opts["port"]), HOST=opts["host"])
        url = f"http://{opts['host']}:{opts['port']}"
        self.stdout.write(
            self.style.SUCCESS("\n" + _("Suqiu is serving on %(url)s") % {"url": url})
        )
        database = (
            _("%(vendor)s (demo data loaded)") % {"vendor": connection.vendor}
            if demo_loaded
            else connection.vendor
        )
        places = [
            (_("resident page"), f"{url}/"),
            (_("workbench"), f"{url}/workbench/"),
            (_("API docs"), f"{url}/api/v1/docs"),
            (_("health"), f"{url}/healthz"),
            (_("database"), database),
        ]
        for line in aligned(places, gap=2):
            self.stdout.write(f"  {line}")
        from suqiu.demo.people import DEMO_PASSWORD, DEMO_USERS

        if any(True for _user in DEMO_USERS):
            from suqiu.directory.models import User

            if User.objects.filter(username__in=[u.username for u in DEMO_USERS]).exists():
                self.stdout.write(
                    "\n"
                    + _("Demo logins (password for all: %(password)s):")
                    % {"password": DEMO_PASSWORD}
                )
                for u in DEMO_USERS:
                    self.stdout.write(f"  {u.username:<14} {u.role_label}")
        self.stdout.write("")
        sys.stdout.flush()

        procs = []
        if not opts["no_worker"]:
            procs.append(subprocess.Popen([sys.executable, "-m", "suqiu.cli", "worker"], env=env))
        if not opts["no_train"] and (demo_loaded or self._demo_without_model()):
            # The first routing model, learnt from the demo history, in the background at low
            # priority: the pages work at once (keyword-free suggestions wait for it), and the
            # running processes pick the model up when it is active, without a restart. Also on
            # a later start when that first training was stopped before it finished.
            self.stdout.write(
                _(
                    "Training the first routing model from the demo history in the background "
                    "(about a minute; its last line says when it is active, and `suqiu triage "
                    "list` shows it then); triage suggestions appear on appeals once it is "
                    "active."
                )
                + "\n"
            )
            sys.stdout.flush()
            trainer = subprocess.Popen(
                ["nice", "-n", "10", sys.executable, "-m", "suqiu.cli", "triage", "train"],
                env=env,
            )
            procs.append(trainer)
            # Reap it when it finishes (it ends long before the server does).
            threading.Thread(target=trainer.wait, daemon=True).start()
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(settings.BASE_DIR / "gunicorn_conf.py"),
                "suqiu.wsgi:application",
            ],
            env=env,
        )
        procs.append(web)

        def forward(signum, _frame):
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signum)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        code = web.wait()
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        sys.exit(code)
