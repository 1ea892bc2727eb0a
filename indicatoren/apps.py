from django.apps import AppConfig


class IndicatorenConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "indicatoren"

    def ready(self):
        """Guard approved years against changes announced by agenda, below (kern/signals.py)."""
        from indicatoren.signoff import refuse_counting_in_approved_years
        from kern.signals import counting_changes

        counting_changes.connect(refuse_counting_in_approved_years, dispatch_uid="indicatoren-approved-years")
