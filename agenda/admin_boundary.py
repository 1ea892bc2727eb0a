"""The institution boundary in the Django admin (issue 13): one mixin every ModelAdmin uses.

The pages and the API check the institution on every request (agenda/permissions.py); the
admin did not, so policy staff of one institution could read, change and delete the rows of
another and grant themselves a membership there. Here the admin asks the same permissions:

- a non-superuser sees the rows of the institutions they are a member of, and adds, changes
  or deletes only rows of institutions where they are policy staff (the admin is policy
  staff's fallback editor; directors write through the pages, which know their colleges);
- every list, change, delete and history page, every autocomplete, every foreign-key and
  many-to-many choice and every related list filter is narrowed to those institutions;
- a row of another institution answers 404 (or 403 on its history), like a row that does
  not exist, so its existence is not given away;
- result and audit tables are read-only for everyone, superusers included (ReadOnlyAdmin);
- the admins of models outside the project (users, groups, tokens, ...) are for superusers
  only: a staff account holding their permissions could otherwise raise itself to superuser.

Each model's way to its institution is found from its fields (institution_path), so a new
model needs nothing but the mixin; tests/kwaliteit/test_admin_boundaries.py fails for a
registered model without it.
"""

from functools import cache

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404

from agenda.choices import Role
from agenda.forms import AdminDecimalField
from agenda.models import Institution, Membership
from agenda.permissions import is_policy

# The apps whose models carry institution rows; every other registered model is superuser-only.
PROJECT_APPS = frozenset({"agenda", "indicatoren", "maatregelen", "rapportage", "invoer", "demo"})

NOT_FOUND = "Dit object bestaat niet of hoort niet bij uw instelling."


@cache
def institution_path(model) -> str:
    """Return the lookup from `model` to its Institution ("pk" for Institution itself).

    A direct `institution` key wins; otherwise the first required foreign key whose model has
    a path. Optional keys are never followed: a row without them would fall outside every
    institution (a measurement at institution level has no college).
    """
    if model is Institution:
        return "pk"
    required = [f for f in model._meta.concrete_fields if f.many_to_one and not f.null and f.related_model is not model]
    for field in required:
        if field.related_model is Institution:
            return field.name
    for field in required:
        try:
            rest = institution_path(field.related_model)
        except ImproperlyConfigured:
            continue
        return field.name if rest == "pk" else f"{field.name}__{rest}"
    raise ImproperlyConfigured(f"{model._meta.label} has no required path to an institution.")


def institution_id_of(obj) -> int | None:
    """Return the id of the institution `obj` belongs to (None when a link on the way is gone)."""
    path = institution_path(type(obj))
    if path == "pk":
        return obj.pk
    *hops, last = path.split("__")
    try:
        for hop in hops:
            obj = getattr(obj, hop)
    except ObjectDoesNotExist:
        return None
    return getattr(obj, f"{last}_id", None)


def _memberships(request) -> list[Membership]:
    """Return the user's memberships, read once per request."""
    if not hasattr(request, "_admin_memberships"):
        request._admin_memberships = list(Membership.objects.filter(user=request.user).select_related("institution"))
    return request._admin_memberships


def readable_institutions(request) -> set[int] | None:
    """Return the ids of the institutions whose rows the user sees in the admin (None: all, a superuser)."""
    if request.user.is_superuser:
        return None
    # A partner reads the curated public view only, never the rows behind it (issue 14, item 4).
    return {m.institution_id for m in _memberships(request) if m.role != Role.PARTNER}


def writable_institutions(request) -> set[int] | None:
    """Return the ids of the institutions whose rows the user may write in the admin (None: all)."""
    if request.user.is_superuser:
        return None
    return {m.institution_id for m in _memberships(request) if is_policy(request.user, m.institution)}


def scope(queryset, institutions: set[int] | None):
    """Return `queryset` narrowed to rows of `institutions` (None: unchanged)."""
    if institutions is None:
        return queryset
    if queryset.model is get_user_model():
        # People are not rows of an institution: those with a membership there.
        return queryset.filter(memberships__institution__in=institutions).distinct()
    return queryset.filter(**{f"{institution_path(queryset.model)}__in": institutions})


def _inside(obj, institutions: set[int] | None) -> bool:
    """Return whether `obj` belongs to one of `institutions` (None: all; no object: the list, scoped itself)."""
    return institutions is None or obj is None or institution_id_of(obj) in institutions


class ScopedChoicesMixin:
    """Offer only rows of the user's institutions in every foreign-key and many-to-many field.

    Used by ModelAdmins and inlines alike. A posted id outside the choices is refused by the
    form field ("Selecteer een geldige keuze"), so a crafted POST cannot cross the boundary.
    Being on every admin form, it is also where a decimal is read with a Dutch decimal comma.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Read a decimal as the policy pages do ("6,9"), not with Django's point-only field."""
        if isinstance(db_field, models.DecimalField) and not db_field.choices:
            kwargs.setdefault("form_class", AdminDecimalField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def choices_for(self, db_field, request, queryset):
        """Return the choices of `db_field`: rows of the institutions the user writes (people: their members)."""
        return scope(queryset, writable_institutions(request))

    def _scoped_choices(self, db_field, request, kwargs):
        """Narrow the field's queryset (or the default one) with choices_for."""
        related = db_field.related_model
        if related is get_user_model() or related._meta.app_label in PROJECT_APPS:
            queryset = kwargs.get("queryset", related._default_manager.all())
            kwargs["queryset"] = self.choices_for(db_field, request, queryset)
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._scoped_choices(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._scoped_choices(db_field, request, kwargs))


class InstitutionScopedAdmin(ScopedChoicesMixin):
    """Keep a ModelAdmin inside the user's institutions: lists, objects, permissions, filters, autocomplete.

    Put it first among the bases, so it wraps what the admin's own classes decide.
    """

    def get_queryset(self, request):
        """Return only rows of the institutions the user may see (also what autocomplete searches)."""
        return scope(super().get_queryset(request), readable_institutions(request))

    def get_object(self, request, object_id, from_field=None):
        """Return the row, or answer 404 for a row that does not exist or lies outside the user's institutions."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_superuser:
            # Django would redirect to the index saying the row may have been deleted; a plain
            # 404 says the same for a foreign row and a missing one.
            raise Http404(NOT_FOUND)
        return obj

    def get_list_filter(self, request):
        """Offer in each related filter only the values present in the user's rows, never another institution's."""
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and _inside(obj, readable_institutions(request))

    def has_add_permission(self, request, *args):
        writable = writable_institutions(request)
        return super().has_add_permission(request, *args) and writable != set()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)

    def _may_write(self, request, obj) -> bool:
        """Return whether the user writes `obj`'s institution (no object: some institution)."""
        writable = writable_institutions(request)
        if obj is None:
            return writable != set()
        return _inside(obj, writable)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Show an old version, never save it: history is a record (simple_history saves on POST whatever the button)."""
        if request.method == "POST":
            raise PermissionDenied("De geschiedenis is alleen te bekijken; wijzig de waarde zelf.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


class ReadOnlyAdmin(InstitutionScopedAdmin, admin.ModelAdmin):
    """A result or audit table: visible within the boundary, never added, changed or deleted, by anyone.

    Results are written by the recompute, the flip log and sign-off events by their services,
    uploads by the upload pipeline; deleting them would erase the trail the manifesto asks for.
    Without delete permission Django also drops the bulk delete action, and refuses to delete
    a row elsewhere that would take one of these with it (a college with logged flips).
    """

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserOnlyMixin:
    """An admin for superusers only, whatever permissions a staff account holds."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request, *args):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


def lock_foreign_admins(site=admin.site) -> None:
    """Make the admin of every model outside the project apps superuser-only.

    Called from AgendaConfig.ready(), after the admin's autodiscover imported every app's admin
    module, so models registered by apps listed after `agenda` are covered too.
    """
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label in PROJECT_APPS or isinstance(model_admin, SuperuserOnlyMixin):
            continue
        cls = type(model_admin)
        site.unregister(model)
        site.register(model, type(f"SuperuserOnly{cls.__name__}", (SuperuserOnlyMixin, cls), {}))
