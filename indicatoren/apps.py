from django.apps import AppConfig


class IndicatorenConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "indicatoren"

    def ready(self):
        """Guard approved years against changes announced by agenda, below (kern/signals.py)."""
        from indicatoren.signoff import refuse_changes_to_approved_years
        from kern.signals import approved_change

        approved_change.connect(refuse_changes_to_approved_years, dispatch_uid="indicatoren-approved-years")
