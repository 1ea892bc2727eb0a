from django.apps import AppConfig


class AgendaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agenda"
    verbose_name = "Agenda"

    def ready(self):
        # After the admin's autodiscover (django.contrib.admin is ready first): the admins of
        # users, groups, tokens and any other app become superuser-only (issue 13).
        from agenda.admin_boundary import lock_foreign_admins

        lock_foreign_admins()
