"""The Django admin for measures, evidence and Q-reviews, in Dutch."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from agenda.admin_boundary import InstitutionScopedAdmin
from maatregelen.models import Evidence, Measure, Review


@admin.register(Measure)
class MeasureAdmin(InstitutionScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "theme", "college", "category", "status", "owner", "planned_budget_cents"]
    list_filter = ["institution", "theme", "category", "status", "college"]
    search_fields = ["title", "description", "owner"]
    filter_horizontal = ["indicators"]


@admin.register(Evidence)
class EvidenceAdmin(InstitutionScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "kind", "theme", "indicator", "college", "team", "year", "created_by"]
    list_filter = ["institution", "theme", "kind", "year"]
    search_fields = ["title", "text"]


@admin.register(Review)
class ReviewAdmin(InstitutionScopedAdmin, SimpleHistoryAdmin):
    list_display = ["level", "college", "team", "year", "quadrimester", "held_on", "created_by"]
    list_filter = ["institution", "level", "year", "quadrimester"]
