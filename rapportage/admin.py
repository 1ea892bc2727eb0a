"""The Django admin for stored results and the flip log: read-only for everyone, written by the recompute only."""

from django.contrib import admin

from agenda.admin_boundary import ReadOnlyAdmin
from rapportage.models import (
    BudgetChange,
    BudgetResult,
    ContributionChange,
    IndicatorResult,
    RecomputeRun,
    VerdictChange,
)


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "institution",
        "state",
        "requested_at",
        "started_at",
        "finished_at",
        "duration_ms",
        "changes",
        "requests",
    ]
    list_filter = ["institution", "state"]


@admin.register(IndicatorResult)
class IndicatorResultAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "year", "version", "attained", "basis", "computed_at"]
    list_filter = ["institution", "year", "version", "basis"]


@admin.register(BudgetResult)
class BudgetResultAdmin(ReadOnlyAdmin):
    list_display = ["institution", "year", "computed_at"]


@admin.register(VerdictChange)
class VerdictChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "indicator", "year", "college", "old", "new", "description"]
    list_filter = ["institution", "year", "indicator"]


@admin.register(ContributionChange)
class ContributionChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "indicator", "year", "team", "old", "new"]
    list_filter = ["institution", "year", "indicator"]


@admin.register(BudgetChange)
class BudgetChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "year", "theme", "kind", "old_cents", "new_cents", "difference_cents"]
    list_filter = ["institution", "year", "kind"]
