from django.apps import AppConfig


class KwaliteitConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "kwaliteit"
    verbose_name = "Toegang"
