from django.apps import AppConfig


class InvoerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "invoer"
    verbose_name = "Invoer"
