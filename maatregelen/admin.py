"""The Django admin for measures, evidence and Q-reviews, in Dutch."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from simple_history.admin import SimpleHistoryAdmin

from agenda.admin_boundary import InstitutionScopedAdmin
from agenda.permissions import writable_colleges
from maatregelen import services, versions
from maatregelen.models import Evidence, Measure, Review


class VersionedAdminForm(forms.ModelForm):
    """A change form that carries the version it showed, so a save from an older page undoes no newer one.

    The admin is policy staff's fallback editor of the same records as the pages: the same comparison
    (maatregelen.versions.reconcile) runs in clean(), inside the admin's transaction with the row
    locked. A field both changed is an error naming the newer value; a field only someone else
    changed keeps its newer value. After an error the form carries the current version, so saving
    it again (once the user has seen the newer values) is their decision.
    """

    version = forms.CharField(label="Versie", widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(self, *args, **kwargs):
        """Give an existing record's form the version of the record as stored."""
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("version", versions.token(self.instance))

    def clean(self):
        """Compare the changes with what the page showed; keep newer values the user left alone."""
        data = super().clean()
        shown = data.get("version")
        if self.instance.pk is None or not shown:
            return data  # a new record, or a post that names no version: nothing to compare with
        model = type(self.instance)
        rows = model.objects.select_for_update() if connection.in_atomic_block else model.objects
        current = rows.get(pk=self.instance.pk)
        changes = {name: data[name] for name in versions.FIELDS[model] if name in data and name in self.fields}
        try:
            write = versions.reconcile(current, changes, versions.Read.from_token(shown, model))
        except versions.StaleEdit as exc:
            self.data = self.data.copy()
            self.data[self.add_prefix("version")] = versions.token(current)
            raise ValidationError([exc.summary, *exc.lines]) from None
        for name in changes.keys() - write.keys():
            data[name] = versions.value(current, name)
        for name in versions.FIELDS[model]:
            model_field = model._meta.get_field(name)
            if name not in self.fields and not model_field.many_to_many:  # read-only here (public): as stored now
                setattr(self.instance, model_field.attname, getattr(current, model_field.attname))
        return data


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
    form = VersionedAdminForm
    list_display = ["title", "theme", "college", "category", "status", "owner", "planned_budget_cents", "public"]
    list_filter = ["institution", "theme", "category", "status", "college", "public"]
    search_fields = ["title", "description", "owner"]
    filter_horizontal = ["indicators"]


@admin.register(Evidence)
class EvidenceAdmin(InstitutionScopedAdmin, PublicationActions, SimpleHistoryAdmin):
    form = VersionedAdminForm
    list_display = ["title", "kind", "theme", "indicator", "college", "team", "year", "created_by", "public"]
    list_filter = ["institution", "theme", "kind", "year", "public"]
    search_fields = ["title", "text"]


@admin.register(Review)
class ReviewAdmin(InstitutionScopedAdmin, SimpleHistoryAdmin):
    form = VersionedAdminForm
    list_display = ["level", "college", "team", "year", "quadrimester", "held_on", "created_by"]
    list_filter = ["institution", "level", "year", "quadrimester"]
