"""The Django admin for measures, evidence and Q-reviews, in Dutch."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from agenda.admin_boundary import InstitutionScopedAdmin
from agenda.permissions import writable_colleges
from maatregelen import services
from maatregelen.models import Evidence, Measure, Review


class PublicationActions:
    """Mark records public for partners, or take them back, through maatregelen.services.publication_set.

    The flag is read-only on the change form: the actions are the admin's one way to set it, so the
    service's college check applies here too (issue 14, item 4).
    """

    actions = ["make_public", "make_private"]
    readonly_fields = ["public"]

    def _publish(self, request, queryset, public: bool) -> None:
        done = 0
        for record in queryset:
            try:
                services.publication_set(
                    record=record,
                    public=public,
                    user=request.user,
                    allowed_colleges=writable_colleges(request.user, record.institution),
                )
            except PermissionDenied as exc:
                self.message_user(request, f"{record}: {exc}", messages.ERROR)
            else:
                done += 1
        state = "openbaar gemaakt" if public else "niet meer openbaar"
        self.message_user(request, f"{done} {'rij' if done == 1 else 'rijen'} {state} voor partners.")

    @admin.action(description="Openbaar maken voor partners", permissions=["change"])
    def make_public(self, request, queryset):
        self._publish(request, queryset, True)

    @admin.action(description="Niet meer openbaar voor partners", permissions=["change"])
    def make_private(self, request, queryset):
        self._publish(request, queryset, False)


@admin.register(Measure)
class MeasureAdmin(InstitutionScopedAdmin, PublicationActions, SimpleHistoryAdmin):
    list_display = ["title", "theme", "college", "category", "status", "owner", "planned_budget_cents", "public"]
    list_filter = ["institution", "theme", "category", "status", "college", "public"]
    search_fields = ["title", "description", "owner"]
    filter_horizontal = ["indicators"]


@admin.register(Evidence)
class EvidenceAdmin(InstitutionScopedAdmin, PublicationActions, SimpleHistoryAdmin):
    list_display = ["title", "kind", "theme", "indicator", "college", "team", "year", "created_by", "public"]
    list_filter = ["institution", "theme", "kind", "year", "public"]
    search_fields = ["title", "text"]


@admin.register(Review)
class ReviewAdmin(InstitutionScopedAdmin, SimpleHistoryAdmin):
    list_display = ["level", "college", "team", "year", "quadrimester", "held_on", "created_by"]
    list_filter = ["institution", "level", "year", "quadrimester"]
