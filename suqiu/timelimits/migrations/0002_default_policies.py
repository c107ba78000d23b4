"""The shipped default policies as editable rows (no category: they apply to every category
without its own). A copy of ``suqiu.timelimits.policies.DEFAULTS`` at the time of writing:
migrations must not import code that may change later."""

from django.db import migrations

H, WH, WD = "hours", "work_hours", "work_days"
DEFAULTS = {
    "emergency": {
        "dispatch": (1, H),
        "accept": (1, H),
        "first_contact": (2, H),
        "resolve": (24, H),
        "revisit": (3, WD),
    },
    "urgent": {
        "dispatch": (2, H),
        "accept": (2, H),
        "first_contact": (4, H),
        "resolve": (3, WD),
        "revisit": (3, WD),
    },
    "normal": {
        "dispatch": (24, H),
        "accept": (1, WD),
        "first_contact": (1, WD),
        "resolve": (5, WD),
        "revisit": (3, WD),
    },
}


def create(apps, schema_editor):
    Policy = apps.get_model("timelimits", "TimeLimitPolicy")
    for urgency, stages in DEFAULTS.items():
        if Policy.objects.filter(category=None, urgency=urgency).exists():
            continue
        fields = {}
        for stage, (amount, unit) in stages.items():
            fields[f"{stage}_limit"] = amount
            fields[f"{stage}_unit"] = unit
        Policy.objects.create(
            category=None, urgency=urgency, remind_at_percent=80, note="shipped default", **fields
        )


def remove(apps, schema_editor):
    Policy = apps.get_model("timelimits", "TimeLimitPolicy")
    Policy.objects.filter(category=None, note="shipped default").delete()


class Migration(migrations.Migration):
    dependencies = [("timelimits", "0001_initial")]

    operations = [migrations.RunPython(create, remove)]
