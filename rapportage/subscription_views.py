"""The page where a user manages their own board-pack subscription and flip alerts (issue 14, item 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from agenda.models import College
from agenda.permissions import current_institution, report_colleges, require_read
from rapportage import notifications
from rapportage.choices import Frequency, PackContent
from rapportage.forms import SubscriptionForm


@login_required
def subscriptions(request):
    """Show and save the user's subscription; "Stuur nu een voorbeeld" mails a sample at once."""
    institution = current_institution(request.user)
    if institution is None:
        raise Http404("Geen instelling")
    require_read(request.user, institution)
    subscription = notifications.subscription_of(request.user, institution)
    scope = report_colleges(request.user, institution)
    initial = {"active": False, "frequency": Frequency.WEEKLY, "content": PackContent.SUMMARY, "flip_alerts": True}
    if subscription is not None:
        initial = {
            "active": subscription.active,
            "frequency": subscription.frequency,
            "content": subscription.content,
            "flip_alerts": subscription.flip_alerts,
        }
    form = SubscriptionForm(initial=initial, whole_institution=scope is None)
    if request.method == "POST":
        if "voorbeeld" in request.POST:
            if subscription is None:
                messages.error(request, "Sla eerst uw abonnement op; dan sturen we een voorbeeld.")
                return redirect("rapportage:subscriptions")
            try:
                notifications.pack_sample_send(subscription=subscription)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Een voorbeeld is verstuurd naar {request.user.email}.")
            return redirect("rapportage:subscriptions")
        form = SubscriptionForm(request.POST, whole_institution=scope is None)
        if form.is_valid():
            try:
                notifications.subscription_save(user=request.user, institution=institution, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field, error)
            else:
                messages.success(request, "Uw abonnement is opgeslagen.")
                return redirect("rapportage:subscriptions")
    colleges = College.objects.filter(institution=institution, pk__in=scope).order_by("code") if scope else []
    return render(
        request,
        "rapportage/subscriptions.html",
        {"form": form, "subscription": subscription, "scope": scope, "colleges": colleges, "institution": institution},
    )
