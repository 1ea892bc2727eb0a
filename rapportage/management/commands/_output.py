"""Shared argument handling and printing for the reporting commands."""

from django.core.management.base import CommandError
from django.utils import timezone

from agenda.models import Institution
from rapportage.engine import exact_json
from rapportage.models import IndicatorResult
from rapportage.selectors import stale_run
from rapportage.services import recompute_now


def add_common_arguments(parser) -> None:
    """Add --year, --institution and --format (contracts.md section 3)."""
    parser.add_argument("--year", type=int, required=True, help="jaar, binnen de agendaperiode")
    parser.add_argument("--institution", help="instellingscode (weg te laten bij één instelling)")
    parser.add_argument("--format", choices=["json", "table"], default="table", help="json of table")


def check_year(institution: Institution, year: int) -> None:
    """Refuse a year outside the agenda period: it has no verdicts and no budget (domain.md)."""
    if year not in institution.years:
        raise CommandError(
            f"{year} valt buiten de agendaperiode {institution.period_start}-{institution.period_end} "
            f"van {institution.code}: kies een jaar van {institution.period_start} tot en met {institution.period_end}."
        )


def ensure_results(institution: Institution) -> None:
    """Compute the results now when none are stored yet (e.g. straight after loading)."""
    if not IndicatorResult.objects.filter(institution=institution).exists():
        recompute_now(institution=institution, reason="eerste opvraging")


def print_json(command, body) -> None:
    """Print `body` as the API's JSON, every digit of its numbers included."""
    command.stdout.write(exact_json.dumps(body, ensure_ascii=False, indent=2))


def refuse_if_stale(institution: Institution) -> None:
    """Exit 1 with a warning when the printed results are stale: the last recompute failed (domain.md)."""
    run = stale_run(institution)
    if run is None:
        return
    when = timezone.localtime(run.finished_at).strftime("%d-%m-%Y %H:%M") if run.finished_at else "onbekend"
    raise CommandError(
        f"LET OP: deze uitslag is VEROUDERD. Herberekening #{run.pk} van {institution.code} is mislukt "
        f"({when}): {run.error or 'onbekende fout'}. Getoond zijn de oordelen van de laatste geslaagde "
        f"herberekening; herstel de oorzaak en draai `recompute`."
    )
