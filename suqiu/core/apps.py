from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "suqiu.core"
    label = "core"
    verbose_name = "Suqiu core"
