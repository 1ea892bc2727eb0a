"""Stored results of the engine: verdicts, budget splits, the flip log and recompute runs.

Views and the API only display what is stored here (style.md, "Flow of a recompute"). Payloads
keep every digit of their numbers (rapportage.engine.exact_json).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from agenda.models import Ambition, College, Indicator, Institution, Team, Theme
from kern.fields import StoredJSONField
from rapportage.choices import Basis, BudgetKind, Frequency, PackContent, RunState, Version
from rapportage.engine import exact_json


class RecomputeRun(models.Model):
    """One recomputation of an institution's verdicts and budget; requests coalesce while pending."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="recompute_runs", verbose_name="instelling"
    )
    state = models.CharField("status", max_length=10, choices=RunState.choices, default=RunState.PENDING)
    reason = models.TextField("aanleiding", blank=True)
    requests = models.PositiveIntegerField("verzoeken", default=1)
    requested_at = models.DateTimeField("aangevraagd", auto_now_add=True)
    enqueued_at = models.DateTimeField("in de wachtrij gezet", null=True, blank=True)
    started_at = models.DateTimeField("gestart", null=True, blank=True)
    locked_at = models.DateTimeField("instelling vergrendeld", null=True, blank=True)
    finished_at = models.DateTimeField("klaar", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("pogingen", default=0)
    error = models.TextField("fout", blank=True)
    changes = models.PositiveIntegerField("gewijzigde oordelen", default=0)
    duration_ms = models.PositiveIntegerField("duur (ms)", null=True, blank=True)

    class Meta:
        verbose_name = "herberekening"
        verbose_name_plural = "herberekeningen"
        ordering = ["-requested_at", "-id"]
        constraints = [
            # At most one waiting run per institution: later requests join it (coalescing).
            models.UniqueConstraint(fields=["institution"], condition=Q(state=RunState.PENDING), name="one_pending_run")
        ]

    def __str__(self):
        return f"{self.institution.code} #{self.pk} {self.state}"


class IndicatorResult(models.Model):
    """The verdict of one indicator in one year under one ambition version, with its explanation."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="indicator_results", verbose_name="instelling"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="results")
    year = models.PositiveSmallIntegerField("jaar")
    version = models.CharField("versie", max_length=10, choices=Version.choices, default=Version.CURRENT)
    ambition = models.ForeignKey(
        Ambition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="ambitie"
    )
    attained = models.BooleanField("behaald", null=True)
    basis = models.CharField("grond", max_length=12, choices=Basis.choices)
    payload = StoredJSONField("status (API-vorm)", encoder=exact_json.Encoder, decoder=exact_json.Decoder)
    # What the recompute stored (rapportage.services.result_digest): a row whose digest a new run
    # computes again is left as it is, so a sector-wide recompute writes only what moved (issue 16).
    # Empty (rows stored before it, or edited by hand) compares unequal: the next run rewrites the row.
    digest = models.CharField("inhoudscontrole", max_length=32, blank=True, editable=False)
    # What the payload was built from (rapportage.engine.payload.status_input_digests): a recompute
    # that finds the same does not build the payload again. Empty compares unequal: built again.
    input_digest = models.CharField("invoercontrole", max_length=32, blank=True, default="", editable=False)
    # Of the current version's verdicts in the payload (rapportage.engine.changes.verdict_signature):
    # a recompute reads a replaced body back for the flip log only when this differs from the new
    # one. Empty (the original version, rows stored before it) compares unequal: the body is read.
    verdict_digest = models.CharField("oordeelcontrole", max_length=32, blank=True, default="", editable=False)
    run = models.ForeignKey(
        RecomputeRun, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="herberekening"
    )
    computed_at = models.DateTimeField("berekend op")

    class Meta:
        verbose_name = "indicatoroordeel"
        verbose_name_plural = "indicatoroordelen"
        ordering = ["institution", "year", "indicator__position"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year", "version"], name="indicator_result_unique")]

    def __str__(self):
        return f"{self.indicator.code} {self.year} {self.version}: {self.basis}"


class BudgetResult(models.Model):
    """The budget split of one institution in one year, in the API's shape."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="budget_results", verbose_name="instelling"
    )
    year = models.PositiveSmallIntegerField("jaar")
    payload = StoredJSONField("budget (API-vorm)", encoder=exact_json.Encoder, decoder=exact_json.Decoder)
    digest = models.CharField("inhoudscontrole", max_length=32, blank=True, editable=False)  # as IndicatorResult's
    run = models.ForeignKey(
        RecomputeRun, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="herberekening"
    )
    computed_at = models.DateTimeField("berekend op")

    class Meta:
        verbose_name = "budgetverdeling"
        verbose_name_plural = "budgetverdelingen"
        ordering = ["institution", "year"]
        constraints = [models.UniqueConstraint(fields=["institution", "year"], name="budget_result_unique")]

    def __str__(self):
        return f"{self.institution.code} {self.year}"


class VerdictChange(models.Model):
    """A verdict that flipped between two runs ("what changed"): indicator or college level."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="verdict_changes", verbose_name="instelling"
    )
    run = models.ForeignKey(
        RecomputeRun, null=True, on_delete=models.SET_NULL, related_name="verdict_changes", verbose_name="herberekening"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("jaar")
    version = models.CharField("versie", max_length=10, choices=Version.choices, default=Version.CURRENT)
    college = models.ForeignKey(College, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    old = models.CharField("was", max_length=20)
    new = models.CharField("wordt", max_length=20)
    description = models.TextField("omschrijving")
    created_at = models.DateTimeField("vastgesteld op", auto_now_add=True)

    class Meta:
        verbose_name = "gewijzigd oordeel"
        verbose_name_plural = "gewijzigde oordelen"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.description


class ContributionChange(models.Model):
    """A team whose contribution flipped between two runs ("droeg niet bij" -> "droeg bij").

    The change a director's grid entry makes first, often before any college or indicator
    verdict moves; kept apart from VerdictChange, whose readers (the grid's save message, an
    upload's page) report verdicts only.
    """

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="contribution_changes", verbose_name="instelling"
    )
    run = models.ForeignKey(
        RecomputeRun,
        null=True,
        on_delete=models.SET_NULL,
        related_name="contribution_changes",
        verbose_name="herberekening",
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("jaar")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    old = models.CharField("was", max_length=20)
    new = models.CharField("wordt", max_length=20)
    created_at = models.DateTimeField("vastgesteld op", auto_now_add=True)

    class Meta:
        verbose_name = "gewijzigde teambijdrage"
        verbose_name_plural = "gewijzigde teambijdragen"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.indicator.code} {self.year}, team {self.team.code}: {self.old} -> {self.new}"


class BudgetChange(models.Model):
    """A theme's budget amount of one year that moved between two runs, in cents ("what changed")."""

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="budget_changes", verbose_name="instelling"
    )
    run = models.ForeignKey(
        RecomputeRun, null=True, on_delete=models.SET_NULL, related_name="budget_changes", verbose_name="herberekening"
    )
    year = models.PositiveSmallIntegerField("jaar")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+", verbose_name="thema")
    kind = models.CharField("bedrag", max_length=25, choices=BudgetKind.choices)
    old_cents = models.BigIntegerField("was (cent)")
    new_cents = models.BigIntegerField("wordt (cent)")
    created_at = models.DateTimeField("vastgesteld op", auto_now_add=True)

    class Meta:
        verbose_name = "gewijzigd budgetbedrag"
        verbose_name_plural = "gewijzigde budgetbedragen"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.theme.code} {self.year} {self.get_kind_display()}: {self.old_cents} -> {self.new_cents}"

    @property
    def difference_cents(self) -> int:
        """Return new minus old, in cents."""
        return self.new_cents - self.old_cents


class Subscription(models.Model):
    """A user's subscription to the board pack by mail and to alerts when a verdict flips (issue 14, item 5).

    Which colleges the mail covers is not stored: it follows the user's role when the mail is
    written (agenda.permissions.report_colleges), so a director moved to another college never
    gets the old one's lines.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name="gebruiker",
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="subscriptions", verbose_name="instelling"
    )
    frequency = models.CharField("frequentie", max_length=12, choices=Frequency.choices, default=Frequency.WEEKLY)
    content = models.CharField("inhoud", max_length=10, choices=PackContent.choices, default=PackContent.SUMMARY)
    flip_alerts = models.BooleanField("melding bij omgeslagen oordeel", default=True)
    # Alerts cover flips from this moment on: switching them on never sends the history.
    alerts_since = models.DateTimeField("meldingen vanaf", null=True, blank=True)
    active = models.BooleanField("actief", default=True)
    last_sent_at = models.DateTimeField("laatst verstuurd", null=True, blank=True)
    # The newest flip (VerdictChange id) the last pack could see. A recompute logs its flips before
    # it commits, so a window on their created_at would skip flips committed just after a pack went;
    # one institution's runs commit in id order (they hold its data lock), so an id watermark cannot.
    last_flip_id = models.PositiveBigIntegerField("laatste omslag in een pakket", null=True, blank=True)
    created_at = models.DateTimeField("aangemaakt", auto_now_add=True)

    class Meta:
        verbose_name = "abonnement"
        verbose_name_plural = "abonnementen"
        ordering = ["institution", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "institution"], name="one_subscription_per_user")]

    def __str__(self):
        return f"{self.user} {self.institution.code} {self.frequency}"


class AlertDelivery(models.Model):
    """A flip (VerdictChange) alerted to one subscriber: at most once, whoever sends it (the unique constraint)."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name="abonnement"
    )
    change = models.ForeignKey(
        VerdictChange, on_delete=models.CASCADE, related_name="deliveries", verbose_name="oordeelwijziging"
    )
    sent_at = models.DateTimeField("verstuurd", auto_now_add=True)

    class Meta:
        verbose_name = "verstuurde melding"
        verbose_name_plural = "verstuurde meldingen"
        constraints = [models.UniqueConstraint(fields=["subscription", "change"], name="alert_once_per_subscriber")]

    def __str__(self):
        return f"{self.subscription} <- {self.change}"
