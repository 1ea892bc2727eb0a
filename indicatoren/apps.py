from django.apps import AppConfig


class IndicatorenConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "indicatoren"
