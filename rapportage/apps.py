from django.apps import AppConfig


class RapportageConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rapportage"
    verbose_name = "Rapportage"

    def ready(self):
        """Listen for data changes announced by the apps below (kern/signals.py)."""
        from kern.signals import data_changed
        from rapportage import page_cache
        from rapportage.services import recompute_on_change

        data_changed.connect(recompute_on_change, dispatch_uid="rapportage.recompute_on_change")
        page_cache.connect()  # board pages: a new version after every committed write (page_cache.py)
