"""E-mail transport: SMTP through Django's SMTP backend, configured by ``SUQIU_NOTIFY``
(``EMAIL_HOST``, ``EMAIL_PORT``, ``EMAIL_USER``, ``EMAIL_PASSWORD``, ``EMAIL_STARTTLS``,
``EMAIL_SSL``, ``EMAIL_FROM``). Off while ``EMAIL_HOST`` is empty."""

from __future__ import annotations

import smtplib

from django.core.mail import EmailMessage, get_connection

from suqiu.notify import conf
from suqiu.notify.transports import PermanentError, TransientError

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def enabled() -> bool:
    return bool(conf.get("EMAIL_HOST"))


def send(message) -> None:
    if not message.address:
        raise PermanentError("no e-mail address")
    connection = get_connection(
        SMTP_BACKEND,  # explicit: not whatever EMAIL_BACKEND says (tests set locmem)
        host=conf.get("EMAIL_HOST"),
        port=int(conf.get("EMAIL_PORT")),
        username=conf.get("EMAIL_USER") or None,
        password=conf.get("EMAIL_PASSWORD") or None,
        use_tls=bool(conf.get("EMAIL_STARTTLS")),
        use_ssl=bool(conf.get("EMAIL_SSL")),
        timeout=float(conf.get("TIMEOUT_SECONDS")),
        fail_silently=False,
    )
    mail = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=conf.get("EMAIL_FROM"),
        to=[message.address],
        headers={"X-Suqiu-Message": str(message.pk), "X-Suqiu-Kind": message.kind},
        connection=connection,
    )
    try:
        mail.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(500 <= c < 600 for c in codes):
            raise PermanentError(f"SMTP refused the recipient: {exc.recipients}") from exc
        raise TransientError(f"SMTP refused the recipient: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if 500 <= exc.smtp_code < 600:
            raise PermanentError(text) from exc
        raise TransientError(text) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(f"SMTP: {exc!r}") from exc
