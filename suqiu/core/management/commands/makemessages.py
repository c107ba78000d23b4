"""Django's ``makemessages``, also extracting ``_t(...)``, with file-only source references.

Modules that use ``_`` for ``gettext_lazy`` import ``gettext`` as ``_t`` for strings translated at
call time (``suqiu.appeals.views_resident``); xgettext knows only the standard names, so without
this those strings would never reach the catalogue. References name the file without a line
number (``--add-location=file`` unless told otherwise), so an edit elsewhere in a module does not
rewrite half the catalogue.

    cd suqiu && suqiu makemessages -l zh_Hans --ignore='tests/*' --ignore='*/tests/*'
"""

from django.core.management.commands.makemessages import Command as MakeMessagesCommand


class Command(MakeMessagesCommand):
    xgettext_options = [*MakeMessagesCommand.xgettext_options, "--keyword=_t"]

    def handle(self, *args, **options):
        if not options.get("add_location"):
            options["add_location"] = "file"
        return super().handle(*args, **options)
