"""The Django admin for measures, evidence and Q-reviews, in Dutch."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
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


class VersionedDeleteMixin:
    """Delete through the record's service, refused when it changed since the confirmation page showed it.

    domain.md, "No lost updates": deleting a record someone changed since it was shown throws their
    change away unseen. The pages and the API refuse that (maatregelen.versions.refuse_stale_delete);
    the admin's delete page and its "delete selected" page now carry the version of each record they
    list (hidden fields) and delete through the same service, so the same check, the college rights
    and the history's author apply. A refusal deletes nothing (the bulk delete is one transaction)
    and shows the page again with the record as it is now.
    """

    delete_confirmation_template = "admin/maatregelen/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/maatregelen/delete_selected_confirmation.html"
    delete_service = None  # staticmethod(services.<record>_delete)
    record_argument = ""  # the service's keyword for the record: "measure", "evidence", "review"

    def render_delete_form(self, request, context):
        context["version"] = versions.token(context["object"])
        return super().render_delete_form(request, context)

    def delete_model(self, request, obj):
        self._delete(request, obj, request.POST.get("version", ""))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._delete(request, obj, request.POST.get(f"version-{obj.pk}", ""))

    def _delete(self, request, obj, shown: str) -> None:
        """Delete one record through its service, compared with the version the page showed (none: as is)."""
        self.delete_service(
            **{self.record_argument: obj},
            seen=versions.Read.from_token(shown, type(obj)) if shown else None,
            user=request.user,
            allowed_colleges=writable_colleges(request.user, obj.institution),
        )

    def _refused(self, request, exc: versions.StaleEdit | ValidationError) -> None:
        lines = [exc.summary, *exc.lines] if isinstance(exc, versions.StaleEdit) else exc.messages
        self.message_user(request, " ".join(lines) + " Bekijk de gegevens zoals ze nu zijn.", messages.ERROR)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (versions.StaleEdit, ValidationError) as exc:  # changed, or deleted meanwhile: nothing deleted
            self._refused(request, exc)
            return HttpResponseRedirect(request.get_full_path())  # the page again, with the version now

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (type(self)._delete_selected, "delete_selected", actions["delete_selected"][2])
        return actions

    def _delete_selected(self, request, queryset):
        """Django's "delete selected", whose confirmation carries each record's version; all or nothing."""
        try:
            with transaction.atomic():
                response = delete_selected(self, request, queryset)
        except (versions.StaleEdit, ValidationError) as exc:
            self._refused(request, exc)
            return None
        if isinstance(response, TemplateResponse):
            response.context_data["versions"] = [(obj.pk, versions.token(obj)) for obj in queryset]
        return response


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
class MeasureAdmin(InstitutionScopedAdmin, VersionedDeleteMixin, PublicationActions, SimpleHistoryAdmin):
    form = VersionedAdminForm
    delete_service, record_argument = staticmethod(services.measure_delete), "measure"
    list_display = ["title", "theme", "college", "category", "status", "owner", "planned_budget_cents", "public"]
    list_filter = ["institution", "theme", "category", "status", "college", "public"]
    search_fields = ["title", "description", "owner"]
    filter_horizontal = ["indicators"]


@admin.register(Evidence)
class EvidenceAdmin(InstitutionScopedAdmin, VersionedDeleteMixin, PublicationActions, SimpleHistoryAdmin):
    form = VersionedAdminForm
    delete_service, record_argument = staticmethod(services.evidence_delete), "evidence"
    list_display = ["title", "kind", "theme", "indicator", "college", "team", "year", "created_by", "public"]
    list_filter = ["institution", "theme", "kind", "year", "public"]
    search_fields = ["title", "text"]


@admin.register(Review)
class ReviewAdmin(InstitutionScopedAdmin, VersionedDeleteMixin, SimpleHistoryAdmin):
    form = VersionedAdminForm
    delete_service, record_argument = staticmethod(services.review_delete), "review"
    list_display = ["level", "college", "team", "year", "quadrimester", "held_on", "created_by"]
    list_filter = ["institution", "level", "year", "quadrimester"]
