"""The Django admin for measured values and uploads, in Dutch: every write goes through the services.

The admin wraps each change in one transaction; the form's clean() calls the write
service there, so a refused write (a locked year, a protected baseline, a value without
its note) is a form error on the page and nothing is stored, as on every other channel.
"""

import copy

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from agenda.admin_boundary import InstitutionScopedAdmin, ReadOnlyAdmin
from agenda.permissions import require_policy, writable_colleges
from indicatoren.models import ContextValue, Measurement, SignoffEvent, StudentCount, Upload, YearSignoff
from indicatoren.services import (
    MeasurementRow,
    WriteRefused,
    measurement_delete,
    measurements_apply,
    student_counts_apply,
    unit_of,
)


class ServiceWriteForm(forms.ModelForm):
    """A model form whose save is a call of a write service, made once every other check passed.

    The admin runs each change in one transaction; the write happens at the end of validation
    (so a refusal is a form error and nothing is stored) and only when the form is otherwise
    valid. Uniqueness is the service's business: it inserts or replaces.
    """

    request = None
    original = None  # the object being changed, or None when adding

    def validate_unique(self):
        """Leave uniqueness to the service (it inserts or replaces one unit and year)."""

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            self.write()
        except WriteRefused as exc:
            self.add_error(None, exc.messages)
        except (PermissionDenied, ValidationError) as exc:
            self.add_error(None, exc.messages if isinstance(exc, ValidationError) else [str(exc) or "Geen rechten."])

    def write(self):
        raise NotImplementedError


class MeasurementAdminForm(ServiceWriteForm):
    """A value with its unit; saving calls measurements_apply (rules, locks, notes)."""

    class Meta:
        model = Measurement
        fields = ["indicator", "year", "college", "team", "value", "n", "note"]

    def clean(self):
        data = super().clean()
        try:
            level, college = unit_of(data.get("college"), data.get("team"))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        # The team's college, also when the college field was left empty.
        data["college"] = college
        self.instance.level, self.instance.college = level, college
        return data

    def write(self):
        data = self.cleaned_data
        indicator = data["indicator"]
        original = self.original
        if original is not None and (original.indicator_id, original.year, original.team_id, original.college_id) != (
            indicator.pk,
            data["year"],
            getattr(data.get("team"), "pk", None),
            getattr(data.get("college"), "pk", None),
        ):
            raise ValidationError("Eenheid, indicator en jaar van een waarde liggen vast; voeg een nieuwe waarde toe.")
        institution = indicator.institution
        row = MeasurementRow(
            indicator=indicator,
            year=data["year"],
            value=data["value"],
            college=data.get("college"),
            team=data.get("team"),
            n=data.get("n"),
            note=data.get("note") or "",
            # Changing: compare with the value the form showed; adding: the cell must still be empty.
            expected=(original.value, original.n) if original is not None else (None, None),
        )
        measurements_apply(
            institution=institution,
            rows=[row],
            user=self.request.user,
            source=f"beheer: {self.request.user.username}",
            allowed_colleges=writable_colleges(self.request.user, institution),
        )


class ServiceAdminMixin:
    """Hand the request and the object to the form; after the form's write, point the admin at the stored row."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # A copy: the bound form writes the posted values into `obj` before the service is called.
        return type(form.__name__, (form,), {"request": request, "original": copy.copy(obj)})


@admin.register(Measurement)
class MeasurementAdmin(InstitutionScopedAdmin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Values edited here keep their history and trigger a recompute, like every other path."""

    form = MeasurementAdminForm
    list_display = ["indicator", "year", "level", "college", "team", "value", "n", "source", "updated_by", "updated_at"]
    list_filter = ["indicator__institution", "indicator", "year", "level", "college"]
    search_fields = ["team__code", "college__code", "indicator__code"]
    autocomplete_fields = ["team"]
    list_select_related = ["indicator", "college", "team", "updated_by"]

    def save_model(self, request, obj, form, change):
        """Point the admin at the value the service stored (the write happened in the form's validation)."""
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


class StudentCountAdminForm(ServiceWriteForm):
    class Meta:
        model = StudentCount
        fields = ["college", "year", "count"]

    def write(self):
        data = self.cleaned_data
        college = data["college"]
        original = self.original
        if original is not None and (original.college_id, original.year) != (college.pk, data["year"]):
            raise ValidationError("College en jaar van een studentaantal liggen vast; voeg een nieuw toe.")
        require_policy(self.request.user, college.institution)  # budget weights: policy staff only
        student_counts_apply(
            institution=college.institution, counts={(college, data["year"]): data["count"]}, user=self.request.user
        )


@admin.register(StudentCount)
class StudentCountAdmin(InstitutionScopedAdmin, ServiceAdminMixin, SimpleHistoryAdmin):
    """Student numbers are written through student_counts_apply (locks, history, recompute)."""

    form = StudentCountAdminForm
    list_display = ["college", "year", "count", "updated_at"]
    list_filter = ["college__institution", "year"]

    def save_model(self, request, obj, form, change):
        obj.pk = StudentCount.objects.get(college=obj.college, year=obj.year).pk

    def has_delete_permission(self, request, obj=None):
        return False  # budget weights are replaced, never removed


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    """The record of every upload (who, when, what it changed): written by the upload pipeline only."""

    list_display = ["original_name", "institution", "status", "uploaded_by", "uploaded_at", "rows_new", "rows_changed"]
    list_filter = ["institution", "status", "channel"]
    readonly_fields = [f.name for f in Upload._meta.fields]


@admin.register(ContextValue)
class ContextValueAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Comparison series and breakdown values (issue 18): read here with their history, written by a benchmark file only.

    Every write goes through indicatoren.services.context_values_apply (the upload page, the API,
    import_benchmark), which holds the permission, the year lock and the history in one place.
    """

    list_display = ["indicator", "year", "level", "college", "series", "dimension", "group", "value", "n", "source"]
    list_filter = ["indicator__institution", "series", "dimension", "year"]
    search_fields = ["indicator__code", "series", "group", "source"]
    readonly_fields = [f.name for f in ContextValue._meta.fields]


@admin.register(YearSignoff)
class YearSignoffAdmin(ReadOnlyAdmin):
    """Sign-off states: written by the sign-off pages and the approve and reopen commands only."""

    list_display = ["institution", "year", "college", "state", "changed_by", "changed_at"]
    list_filter = ["institution", "year", "state"]


@admin.register(SignoffEvent)
class SignoffEventAdmin(ReadOnlyAdmin):
    list_display = ["signoff", "action", "from_state", "to_state", "user", "at", "reason"]
    list_filter = ["action", "signoff__year"]
