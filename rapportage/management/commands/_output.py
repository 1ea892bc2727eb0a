"""Shared argument handling and printing for the reporting commands."""

from agenda.models import Institution
from rapportage.engine import exact_json
from rapportage.models import IndicatorResult
from rapportage.services import recompute_now


def add_common_arguments(parser) -> None:
    """Add --year, --institution and --format (contracts.md section 3)."""
    parser.add_argument("--year", type=int, required=True, help="jaar")
    parser.add_argument("--institution", help="instellingscode (weg te laten bij één instelling)")
    parser.add_argument("--format", choices=["json", "table"], default="table", help="json of table")


def ensure_results(institution: Institution) -> None:
    """Compute the results now when none are stored yet (e.g. straight after loading)."""
    if not IndicatorResult.objects.filter(institution=institution).exists():
        recompute_now(institution=institution, reason="eerste opvraging")


def print_json(command, body) -> None:
    """Print `body` as the API's JSON, every digit of its numbers included."""
    command.stdout.write(exact_json.dumps(body, ensure_ascii=False, indent=2))
