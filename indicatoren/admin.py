"""The Django admin for measured values and uploads, in Dutch: every write goes through the services.

The admin wraps each change in one transaction; the form's clean() calls the write
service there, so a refused write (a locked year, a protected baseline, a value without
its note) is a form error on the page and nothing is stored, as on every other channel.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from agenda.permissions import writable_colleges
from indicatoren.models import Measurement, SignoffEvent, StudentCount, Upload, YearSignoff
from indicatoren.services import (
    MeasurementRow,
    WriteRefused,
    measurement_delete,
    measurements_apply,
    student_counts_apply,
    unit_of,
)


class MeasurementAdminForm(forms.ModelForm):
    """A value with its unit; saving calls measurements_apply (rules, locks, notes) inside the admin's transaction."""

    class Meta:
        model = Measurement
        fields = ["indicator", "year", "college", "team", "value", "n", "note"]

    def clean(self):
        data = super().clean()
        try:
            level, college = unit_of(data.get("college"), data.get("team"))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        self.instance.level, self.instance.college = level, college
        return data


@admin.register(Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    """Values edited here keep their history and trigger a recompute, like every other path."""

    form = MeasurementAdminForm
    list_display = ["indicator", "year", "level", "college", "team", "value", "n", "source", "updated_by", "updated_at"]
    list_filter = ["indicator__institution", "indicator", "year", "level", "college"]
    search_fields = ["team__code", "college__code", "indicator__code"]
    autocomplete_fields = ["team"]
    list_select_related = ["indicator", "college", "team", "updated_by"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        original_clean = form.clean
        admin_site = self

        def clean(form_self):
            data = original_clean(form_self)
            if form_self.errors:
                return data
            admin_site._write(request, form_self, data, obj)
            return data

        form.clean = clean
        return form

    def _write(self, request, form, data, obj) -> None:
        """Store the form's value through the one write service; refusals become form errors."""
        indicator = data["indicator"]
        institution = indicator.institution
        try:
            if obj is not None and (obj.indicator_id, obj.year, obj.team_id, obj.college_id) != (
                indicator.pk,
                data["year"],
                getattr(data.get("team"), "pk", None),
                form.instance.college_id,
            ):
                raise ValidationError(
                    "Eenheid, indicator en jaar van een waarde liggen vast; voeg een nieuwe waarde toe."
                )
            row = MeasurementRow(
                indicator=indicator,
                year=data["year"],
                value=data["value"],
                college=form.instance.college,
                team=data.get("team"),
                n=data.get("n"),
                note=data.get("note") or "",
            )
            measurements_apply(
                institution=institution,
                rows=[row],
                user=request.user,
                source=f"beheer: {request.user.username}",
                allowed_colleges=writable_colleges(request.user, institution),
            )
        except WriteRefused as exc:
            raise ValidationError(exc.messages) from exc
        except PermissionDenied as exc:
            raise ValidationError(str(exc) or "Geen rechten voor deze eenheid.") from exc
        form._written = True

    def save_model(self, request, obj, form, change):
        """Point the admin at the value the service stored (the write happened in the form's clean)."""
        stored = Measurement.objects.get(
            indicator=obj.indicator, year=obj.year, level=obj.level, college=obj.college, team=obj.team
        )
        obj.pk = stored.pk
        obj.__dict__.update({f.attname: getattr(stored, f.attname) for f in Measurement._meta.concrete_fields})

    def delete_model(self, request, obj):
        try:
            measurement_delete(
                measurement=obj,
                user=request.user,
                allowed_colleges=writable_colleges(request.user, obj.indicator.institution),
                source=f"beheer: {request.user.username}",
            )
        except WriteRefused as exc:
            raise PermissionDenied(" ".join(exc.messages)) from exc

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and obj is not None  # one at a time, through the service

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete would bypass the write service
        return actions


class StudentCountAdminForm(forms.ModelForm):
    class Meta:
        model = StudentCount
        fields = ["college", "year", "count"]


@admin.register(StudentCount)
class StudentCountAdmin(SimpleHistoryAdmin):
    """Student numbers are written through student_counts_apply (locks, history, recompute)."""

    form = StudentCountAdminForm
    list_display = ["college", "year", "count", "updated_at"]
    list_filter = ["college__institution", "year"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        original_clean = form.clean

        def clean(form_self):
            data = original_clean(form_self)
            if form_self.errors:
                return data
            college = data["college"]
            if obj is not None and (obj.college_id, obj.year) != (college.pk, data["year"]):
                raise ValidationError("College en jaar van een studentaantal liggen vast; voeg een nieuw toe.")
            try:
                student_counts_apply(
                    institution=college.institution, counts={(college, data["year"]): data["count"]}, user=request.user
                )
            except WriteRefused as exc:
                raise ValidationError(exc.messages) from exc
            return data

        form.clean = clean
        return form

    def save_model(self, request, obj, form, change):
        stored = StudentCount.objects.get(college=obj.college, year=obj.year)
        obj.pk = stored.pk

    def has_delete_permission(self, request, obj=None):
        return False  # budget weights are replaced, never removed


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["original_name", "institution", "status", "uploaded_by", "uploaded_at", "rows_new", "rows_changed"]
    list_filter = ["institution", "status", "channel"]
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request):
        return False  # uploads go through the upload page, the API or import_benchmark


class ReadOnlyAdmin(admin.ModelAdmin):
    """An audit table: visible, never added, changed or deleted here (the sign-off pages and commands write it)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(YearSignoff)
class YearSignoffAdmin(ReadOnlyAdmin):
    list_display = ["institution", "year", "college", "state", "changed_by", "changed_at"]
    list_filter = ["institution", "year", "state"]


@admin.register(SignoffEvent)
class SignoffEventAdmin(ReadOnlyAdmin):
    list_display = ["signoff", "action", "from_state", "to_state", "user", "at", "reason"]
    list_filter = ["action", "signoff__year"]
