"""The Django admin for the agenda, in Dutch: the fallback editor for policy staff."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from agenda.admin_boundary import (
    InstitutionScopedAdmin,
    ReadOnlyAdmin,
    ScopedChoicesMixin,
    writable_institutions,
)
from agenda.forms import add_service_error
from agenda.models import (
    AdditionalFund,
    AgendaLoad,
    Ambition,
    Applicability,
    BaselineRevision,
    BudgetYear,
    College,
    CompositeComponent,
    Factor,
    Goal,
    Indicator,
    Institution,
    Membership,
    Team,
    Theme,
    ThemeShareRevision,
)
from agenda.services import (
    ambition_revise,
    check_ambition_unapproved,
    membership_teams_problem,
    membership_teams_set,
)
from kern.signals import announce_change

admin.site.site_header = "Kwaliteitsagenda beheer"
admin.site.site_title = "Kwaliteitsagenda"
admin.site.index_title = "Beheer"


class RecomputeMixin:
    """Ask for a recompute after every admin save or delete that can move a verdict or a cent."""

    def institution_of(self, obj):
        return obj.institution

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        announce_change(institution=self.institution_of(obj), reason=f"beheer: {obj._meta.verbose_name} {obj}")

    def delete_model(self, request, obj):
        institution = self.institution_of(obj)
        super().delete_model(request, obj)
        announce_change(institution=institution, reason=f"beheer: {obj._meta.verbose_name} verwijderd")

    def delete_queryset(self, request, queryset):
        """The changelist's 'delete selected': a recompute per institution, as for one row.

        Django deletes the selection without calling delete_model: a deleted budget year's split
        stayed stored and was served as current.
        """
        institutions = {self.institution_of(obj) for obj in queryset}
        super().delete_queryset(request, queryset)
        for institution in institutions:
            announce_change(
                institution=institution, reason=f"beheer: {queryset.model._meta.verbose_name_plural} verwijderd"
            )


class LockedYearsDeleteMixin:
    """Refuse deleting a row whose removal changes what an approved (vastgesteld) year judged or paid.

    Approved years change only after policy staff reopen them, on every channel (domain.md,
    "Sign-off and locking"); deleting a 2020 budget row here moved the approved split. The delete
    page and the list's "delete selected" both ask get_deleted_objects before anything is deleted:
    a refusal listed there as protected leaves out the confirm button and refuses the POST, and
    the page names the change and the approval. The model's refuse_delete_in_locked_years is the rule.
    """

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refused = []
        for obj in objs:
            try:
                obj.refuse_delete_in_locked_years()
            except ValidationError as exc:
                refused += [f"{capfirst(obj._meta.verbose_name)} {obj}: {message}" for message in exc.messages]
        return deleted, counts, perms_needed, [*protected, *refused]


class RevisionAuthorMixin:
    """Record the signed-in user as the author of revisions added in the inlines."""

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            if hasattr(obj, "author_id") and obj.author_id is None:
                obj.author = request.user
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


def constraint_message(model, name: str) -> str:
    """Return the Dutch message of the model's constraint `name`: its one wording, also where a formset checks it."""
    return next(c for c in model._meta.constraints if c.name == name).violation_error_message


class CodeKeptForm(forms.ModelForm):
    """A stored college, theme or indicator keeps its code: shown, never changed here.

    The code is the key of the agenda file, the API and the uploads, and it orders the spare cents
    of the budget (rapportage.engine.budget: to indicators within a theme, and as ties of the
    largest-remainder split to themes and colleges). A rename moved a cent of an approved year
    with no approval check seeing it (domain.md, "Sign-off and locking"); a rename is a new row in
    the agenda file. New rows take a code as before.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and "code" in self.fields:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "De code van een bestaande rij blijft; een nieuwe code is een nieuwe rij."


class CollegeInline(ScopedChoicesMixin, admin.TabularInline):
    model = College
    form = CodeKeptForm
    extra = 0
    fields = ["code", "name", "active"]
    # A college is switched off (active), never deleted here: deleting it took its sign-off trail
    # (YearSignoff, SignoffEvent) along, which the college's own delete page refuses (ReadOnlyAdmin).
    can_delete = False


@admin.register(Institution)
class InstitutionAdmin(InstitutionScopedAdmin, RecomputeMixin, admin.ModelAdmin):
    list_display = ["code", "name", "period_start", "period_end"]
    inlines = [CollegeInline]

    # The period (which years are judged) and the colleges' `active` (inline) move verdicts and
    # cents: a save here asks for a recompute, which runs once the inlines are saved too (on commit).
    def institution_of(self, obj):
        return obj

    def delete_model(self, request, obj):
        admin.ModelAdmin.delete_model(self, request, obj)  # nothing is left to recompute

    def delete_queryset(self, request, queryset):
        admin.ModelAdmin.delete_queryset(self, request, queryset)  # nothing is left to recompute

    def has_add_permission(self, request):
        return request.user.is_superuser and super().has_add_permission(request)  # load_agenda makes institutions

    def has_delete_permission(self, request, obj=None):
        # Deleting an institution takes every row of it along: never policy staff's call.
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class TeamInlineFormSet(BaseInlineFormSet):
    """The teams on their college's page: a new team gets the college's institution, and its code is checked.

    `institution` is not a field of the row (the college decides it): the form left it empty (every
    added team was a 500) and skipped the constraint naming it, a team code unique within the
    institution ignoring case (Team, team_code_unique). Both are done here, also between the rows
    of one save, so a taken code is a Dutch message beside the code, not a database error.
    """

    def add_fields(self, form, index):
        """Give a new row the institution of the college it is added to."""
        super().add_fields(form, index)
        if form.instance.institution_id is None:
            form.instance.institution_id = self.instance.institution_id

    def clean(self):
        """Check the constraints of every new or changed row, and that no two rows share a code."""
        super().clean()
        taken = set()
        for form in self.forms:
            if not form.has_changed() or not form.is_valid():
                continue
            code = form.cleaned_data["code"].lower()
            if code in taken:
                form.add_error("code", constraint_message(Team, "team_code_unique"))
                continue
            taken.add(code)
            try:
                form.instance.validate_constraints()
            except ValidationError as error:
                add_service_error(form, error)


class TeamInline(ScopedChoicesMixin, admin.TabularInline):
    model = Team
    formset = TeamInlineFormSet
    extra = 0
    fields = ["code", "name", "active_from", "active_until"]
    show_change_link = True

    def has_delete_permission(self, request, obj=None):
        return False  # teams with data are never deleted; deactivate them


@admin.register(College)
class CollegeAdmin(InstitutionScopedAdmin, RecomputeMixin, SimpleHistoryAdmin):
    form = CodeKeptForm
    list_display = ["code", "name", "institution", "active"]
    list_filter = ["institution", "active"]
    search_fields = ["code", "name"]
    inlines = [TeamInline]


@admin.register(Team)
class TeamAdmin(InstitutionScopedAdmin, RecomputeMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "college", "active_from", "active_until"]
    list_filter = ["institution", "college"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        """Keep an existing team in its college and institution, as agenda.services.team_update does.

        The team's stored values carry its college: a team moved here stayed judged under its old
        college, and its values could no longer be corrected or added (domain.md, "Teams change
        over time": a team that goes elsewhere ends here, active_until, and starts there anew).
        """
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + ["institution", "college"] if obj is not None else readonly

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.measurements.exists():
            return False  # never delete a team with data (issue: teams change over time)
        return super().has_delete_permission(request, obj)


class GoalInline(ScopedChoicesMixin, admin.TabularInline):
    model = Goal
    extra = 0


class PolicyPagesMixin:
    """Revisions of the agenda are made on the policy pages, with a dry run (invoer.policy_views, issue 15
    item 5): in the admin only a superuser still writes them, through the agenda service (AmbitionAdmin);
    policy staff read them here.
    """

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class OnPolicyPagesInline:
    """A revision of the agenda shown beside its theme or indicator, written only on its policy page.

    The policy pages (beleid: ambities, toepasbaarheid, budgetaandelen, nulmetingen, factoren) write
    through the agenda service, which checks the year against the period, asks the reason, logs the
    author and the factor's revision trail, and shows the dry run first. These inlines saved the
    rows themselves, for the superuser: a baseline "vanaf 2015" without a reason, a factor without
    its FactorRevision (style.md: services for every write, the admin too).
    """

    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ThemeShareRevisionInline(OnPolicyPagesInline, ScopedChoicesMixin, admin.TabularInline):
    """The theme's budget share from a year on (herijking); earlier years keep the share above."""

    model = ThemeShareRevision
    extra = 0
    fields = ["from_year", "budget_share_pct", "reason", "author", "created_at"]
    readonly_fields = fields
    verbose_name_plural = "herzieningen budgetaandeel (herijk op de beleidspagina Budgetaandelen)"


@admin.register(Theme)
class ThemeAdmin(
    InstitutionScopedAdmin, LockedYearsDeleteMixin, RecomputeMixin, RevisionAuthorMixin, SimpleHistoryAdmin
):
    form = CodeKeptForm
    list_display = ["code", "name", "institution", "national", "budget_share_pct", "position"]
    list_filter = ["institution", "national"]
    inlines = [GoalInline, ThemeShareRevisionInline]


class AmbitionInline(ScopedChoicesMixin, admin.TabularInline):
    model = Ambition
    extra = 0
    fields = ["year", "revision", "type", "target", "tolerance", "indicative", "reason", "author", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # a herijking adds a revision through the Ambitie form, never edits one


class FactorInline(OnPolicyPagesInline, ScopedChoicesMixin, admin.TabularInline):
    model = Factor
    extra = 0
    fields = ["position", "name", "effect", "description"]
    readonly_fields = fields
    verbose_name_plural = "verklarende factoren (wijzig op de beleidspagina Verklarende factoren)"


class ApplicabilityInline(OnPolicyPagesInline, ScopedChoicesMixin, admin.TabularInline):
    """The colleges the indicator applies to: from the start (year empty) and from a year on (herijking)."""

    model = Applicability
    extra = 0
    fields = ["from_year", "colleges", "reason", "author", "created_at"]
    readonly_fields = fields
    verbose_name_plural = "toepasbaarheid (herijk op de beleidspagina Toepasbaarheid van indicatoren)"


class BaselineRevisionInline(OnPolicyPagesInline, ScopedChoicesMixin, admin.TabularInline):
    """The indicator's baseline from a year on (herijking); earlier years keep the baseline above."""

    model = BaselineRevision
    extra = 0
    fields = ["from_year", "baseline_year", "baseline_value", "reason", "author", "created_at"]
    readonly_fields = fields
    verbose_name_plural = "herzieningen nulmeting (herijk op de beleidspagina Nulmetingen)"


class CompositeComponentInline(ScopedChoicesMixin, admin.TabularInline):
    """The components of a composite indicator and their weights (issue 18), as the agenda file sets them.

    Read-only: the file's checks (components of the same institution and unit, no nesting, at
    least two; agenda/schema.py) are the one home of what makes a composite valid, so the
    definition changes by loading the agenda file.
    """

    model = CompositeComponent
    fk_name = "composite"
    extra = 0
    fields = ["component", "weight", "position"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "componenten (samengestelde indicator; wijzig in het agendabestand)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Indicator)
class IndicatorAdmin(
    InstitutionScopedAdmin, LockedYearsDeleteMixin, RecomputeMixin, RevisionAuthorMixin, SimpleHistoryAdmin
):
    form = CodeKeptForm
    list_display = ["code", "name", "theme", "unit", "polarity", "baseline_year", "baseline_value"]
    list_filter = ["institution", "theme"]
    search_fields = ["code", "name"]
    # Breakdowns and composites (issue 18) come from the agenda file, whose checks are their one home.
    readonly_fields = ["breakdowns", "composite_weight_by_n"]
    inlines = [AmbitionInline, ApplicabilityInline, BaselineRevisionInline, FactorInline, CompositeComponentInline]


@admin.register(Ambition)
class AmbitionAdmin(PolicyPagesMixin, InstitutionScopedAdmin, admin.ModelAdmin):
    """Ambitions are immutable: saving the form adds a new revision (herijking), keeping the old."""

    list_display = [
        "indicator",
        "year",
        "revision",
        "type",
        "target",
        "tolerance",
        "indicative",
        "author",
        "created_at",
    ]
    list_filter = ["indicator__institution", "year", "type"]
    fields = ["indicator", "year", "type", "target", "tolerance", "indicative", "reason"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        """Return the form with the policy page's approved-year rule (agenda.services.check_ambition_unapproved)."""
        form = super().get_form(request, obj, **kwargs)

        class AmbitionAdminForm(form):
            def clean(self):
                cleaned = super().clean()
                indicator, year = cleaned.get("indicator"), cleaned.get("year")
                if indicator is not None and year is not None:
                    try:
                        check_ambition_unapproved(indicator, year, year)
                    except ValidationError as exc:
                        self.add_error("year", exc.messages)
                return cleaned

        return AmbitionAdminForm

    def save_model(self, request, obj, form, change):
        """Add the revision through ambition_revise, the one write path for ambitions."""
        stored = ambition_revise(
            indicator=obj.indicator,
            year=obj.year,
            type=obj.type,
            target=obj.target,
            tolerance=obj.tolerance,
            indicative=obj.indicative,
            reason=obj.reason or "herijking via beheer",
            author=request.user,
        )
        obj.pk, obj.revision = stored.pk, stored.revision


@admin.register(BudgetYear)
class BudgetYearAdmin(InstitutionScopedAdmin, LockedYearsDeleteMixin, RecomputeMixin, SimpleHistoryAdmin):
    list_display = ["institution", "year", "total_cents", "result_dependent_pct", "central_pct"]
    list_filter = ["institution"]
    # The lumpsum's one home is the manifesto page, which compares with the version it showed
    # (maatregelen.services.lumpsum_set): here it would be saved back as this page showed it.
    readonly_fields = ["lumpsum_total_cents"]


@admin.register(AdditionalFund)
class AdditionalFundAdmin(InstitutionScopedAdmin, LockedYearsDeleteMixin, admin.ModelAdmin):
    list_display = ["theme", "year", "source", "amount_cents"]
    list_filter = ["institution", "theme"]


@admin.register(Membership)
class MembershipAdmin(InstitutionScopedAdmin, admin.ModelAdmin):
    """Roles: policy staff give people roles in their own institution, never in another, never to themselves."""

    list_display = ["user", "institution", "role", "api_write"]
    list_filter = ["institution", "role"]
    filter_horizontal = ["colleges", "teams"]

    def get_form(self, request, obj=None, **kwargs):
        """Return the form with the teamleider's team rule (agenda.services.membership_teams_problem)."""
        form = super().get_form(request, obj, **kwargs)

        class MembershipForm(form):
            def clean(self):
                cleaned = super().clean()
                institution, teams = cleaned.get("institution"), cleaned.get("teams")
                if institution is not None and teams is not None:
                    problem = membership_teams_problem(institution=institution, role=cleaned.get("role"), teams=teams)
                    if problem:
                        self.add_error("teams", problem)
                return cleaned

        return MembershipForm

    def save_related(self, request, form, formsets, change):
        """Store a teamleider's teams through the service that checks them, not the form's own save."""
        teams = form.cleaned_data.pop("teams", None)
        super().save_related(request, form, formsets, change)
        if teams is not None:
            membership_teams_set(membership=form.instance, teams=teams)

    def choices_for(self, db_field, request, queryset):
        """Offer as user: people of the user's institutions and people without any role yet, never the user."""
        if db_field.name != "user" or request.user.is_superuser:
            return super().choices_for(db_field, request, queryset)
        # Without the exclusion a policy member could add a second role for themselves, or a
        # role in an institution they do not belong to through a person who does.
        return (
            queryset.filter(
                Q(memberships__isnull=True) | Q(memberships__institution__in=writable_institutions(request))
            )
            .exclude(pk=request.user.pk)
            .distinct()
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._own(request, obj)

    @staticmethod
    def _own(request, obj) -> bool:
        """Return whether `obj` is a role of the signed-in non-superuser (nobody raises their own role)."""
        return obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser


@admin.register(AgendaLoad)
class AgendaLoadAdmin(ReadOnlyAdmin):
    """What each load of an agenda file set, removed and overrode (read only: the loader's memory).

    Deleting a load would make the loader forget which values the application changed.
    """

    list_display = ["institution", "source", "loaded_at", "user", "file_wins"]
    list_filter = ["institution", "file_wins"]
    fields = ["institution", "source", "loaded_at", "user", "file_wins", "values", "removed", "overridden"]
    readonly_fields = fields
