"""GET /api/v1/changes/: what changed since a date, as on the board's page "Wat is er veranderd".

The same reads as the page (rapportage.changelog) and the same date rule (rapportage.forms):
verdict flips under the current ambitions, team contributions that flipped and theme budget
amounts that moved, per recompute run, newest first, each with the run's reason.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from agenda.api.common import INSTITUTION_PARAMETER, api_institution, responses
from rapportage import changelog
from rapportage.choices import BudgetKind
from rapportage.forms import ChangesSinceForm


class ChangeCauseSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["upload", "grid", "api", "ambition", "share", "applicability", "baseline", "admin", "other"],
        help_text="upload, grid (invoer in het raster), api, ambition / share / applicability / baseline "
        "(herijking van een ambitie, budgetaandeel, toepasbaarheid of nulmeting), admin (beheer) of other",
    )
    text = serializers.CharField(help_text="het deel van de aanleiding zoals vastgelegd")


class VerdictFlipSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    year = serializers.IntegerField()
    college = serializers.CharField(allow_null=True, help_text="null: het oordeel van de instelling")
    old = serializers.CharField(help_text="was, bijvoorbeeld 'niet gehaald'")
    new = serializers.CharField(help_text="wordt, bijvoorbeeld 'gehaald'")
    description = serializers.CharField()


class ContributionFlipSerializer(serializers.Serializer):
    indicator = serializers.CharField()
    year = serializers.IntegerField()
    college = serializers.CharField()
    team = serializers.CharField()
    old = serializers.CharField(help_text="was, bijvoorbeeld 'droeg niet bij' of 'geen oordeel'")
    new = serializers.CharField(help_text="wordt, bijvoorbeeld 'droeg bij'")


class BudgetMoveSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    theme = serializers.CharField()
    kind = serializers.ChoiceField(choices=BudgetKind.values, help_text="released, reserved of released_from_reserve")
    old_cents = serializers.IntegerField()
    new_cents = serializers.IntegerField()
    difference_cents = serializers.IntegerField(help_text="new_cents - old_cents")


class ChangeRunSerializer(serializers.Serializer):
    run = serializers.IntegerField(allow_null=True, help_text="de herberekening (null: niet meer bewaard)")
    at = serializers.DateTimeField(help_text="tijdstip van de laatste wijziging in deze herberekening")
    reason = serializers.CharField(help_text="de aanleiding zoals vastgelegd ('' als onbekend)")
    causes = ChangeCauseSerializer(many=True)
    by = serializers.ListField(child=serializers.CharField(), help_text="gebruikersnamen, voor zover bekend")
    verdicts = VerdictFlipSerializer(many=True)
    teams = ContributionFlipSerializer(many=True)
    budget = BudgetMoveSerializer(many=True)


class ChangesSerializer(serializers.Serializer):
    institution = serializers.CharField()
    since = serializers.DateField()
    since_default = serializers.CharField(
        allow_null=True, help_text="waarom deze datum als ?since= ontbrak (het laatste Q-gesprek of 30 dagen)"
    )
    version = serializers.CharField(help_text="altijd current: vergeleken onder de geldende ambitie")
    runs = ChangeRunSerializer(many=True)


def changes_body(institution, since, since_default) -> dict:
    """Return the API body of the changes since `since` (newest run first)."""
    runs = []
    for day in changelog.changes_data(institution, since)["days"]:
        for group in day["runs"]:
            run = group["run"]
            runs.append(
                {
                    "run": run.pk if run else None,
                    "at": group["at"],
                    "reason": run.reason if run else "",
                    "causes": [{"kind": c["kind"], "text": c["text"]} for c in group["causes"]],
                    "by": [user.username for user in group["writers"]],
                    "verdicts": [
                        {
                            "indicator": f.indicator.code,
                            "year": f.year,
                            "college": f.college.code if f.college else None,
                            "old": f.old,
                            "new": f.new,
                            "description": f.description,
                        }
                        for f in group["flips"]
                    ],
                    "teams": [
                        {
                            "indicator": t.indicator.code,
                            "year": t.year,
                            "college": t.team.college.code,
                            "team": t.team.code,
                            "old": t.old,
                            "new": t.new,
                        }
                        for t in group["teams"]
                    ],
                    "budget": [
                        {
                            "year": b.year,
                            "theme": b.theme.code,
                            "kind": b.kind,
                            "old_cents": b.old_cents,
                            "new_cents": b.new_cents,
                            "difference_cents": b.difference_cents,
                        }
                        for b in group["budget"]
                    ],
                }
            )
    return {
        "institution": institution.code,
        "since": since,
        "since_default": since_default,
        "version": "current",
        "runs": runs,
    }


class ChangesApi(APIView):
    """GET /api/v1/changes/?since=YYYY-MM-DD: verdict flips and moved budget amounts since a date."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATE,
                description="vanaf deze datum (JJJJ-MM-DD of DD-MM-JJJJ); weg te laten: het laatste Q-gesprek, "
                "anders 30 dagen geleden",
            ),
            INSTITUTION_PARAMETER,
        ],
        responses=responses(ChangesSerializer, bad_request=True),
    )
    def get(self, request):
        """Return what changed since ?since= (default: the last Q-gesprek, else 30 days ago)."""
        institution = api_institution(request)
        since, since_default = changelog.changes_default_since(institution, timezone.localdate())
        raw = request.query_params.get("since")
        if raw is not None:
            form = ChangesSinceForm({"sinds": raw})
            if not form.is_valid():
                raise ValidationError({"since": form.errors["sinds"]})
            if form.cleaned_data["sinds"] is not None:
                since, since_default = form.cleaned_data["sinds"], None
        return Response(ChangesSerializer(changes_body(institution, since, since_default)).data)
