from django.apps import AppConfig


class MaatregelenConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "maatregelen"
