"""The Django admin for measured values and uploads, in Dutch."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from indicatoren.models import Measurement, StudentCount, Upload
from indicatoren.services import measurement_delete, unit_of, value_problem
from rapportage.services import recompute_request


@admin.register(Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    """Values edited here keep their history and trigger a recompute, like every other path."""

    list_display = ["indicator", "year", "level", "college", "team", "value", "n", "source", "updated_by", "updated_at"]
    list_filter = ["indicator__institution", "indicator", "year", "level", "college"]
    search_fields = ["team__code", "college__code", "indicator__code"]
    fields = ["indicator", "year", "college", "team", "value", "n", "source"]
    autocomplete_fields = ["team"]
    list_select_related = ["indicator", "college", "team", "updated_by"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        original_clean = form.clean

        def clean(form_self):
            data = original_clean(form_self)
            indicator, value = data.get("indicator"), data.get("value")
            try:
                level, college = unit_of(data.get("college"), data.get("team"))
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
            form_self.instance.level, form_self.instance.college = level, college
            if indicator is not None and level not in indicator.levels:
                raise ValidationError(f"Indicator {indicator.code} wordt niet op niveau {level} gemeten.")
            if indicator is not None and value is not None and value_problem(indicator, value):
                raise ValidationError(value_problem(indicator, value))
            return data

        form.clean = clean
        return form

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        recompute_request(institution=obj.indicator.institution, reason=f"beheer: waarde {obj}")

    def delete_model(self, request, obj):
        measurement_delete(measurement=obj, user=request.user)


@admin.register(StudentCount)
class StudentCountAdmin(SimpleHistoryAdmin):
    list_display = ["college", "year", "count", "updated_at"]
    list_filter = ["college__institution", "year"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        recompute_request(institution=obj.college.institution, reason=f"beheer: studentaantal {obj}")


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["original_name", "institution", "status", "uploaded_by", "uploaded_at", "rows_new", "rows_changed"]
    list_filter = ["institution", "status", "channel"]
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request):
        return False  # uploads go through the upload page, the API or import_benchmark
