"""`demo_setup`: synthetic teams, data, users, a herijking and a few measures for the ROCvAF demo.

Idempotent: running it again changes nothing. Everything it adds is labelled synthetic.
Run after `load_agenda agenda/agendas/rocvaf-2019-2022.yaml` (make demo does both).
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agenda.choices import AmbitionType, Role
from agenda.models import Ambition, BudgetYear, College, Indicator, Institution, Membership, Team, Theme
from agenda.services import ambition_revise, membership_teams_set, team_update
from demo import synthetic as demo
from indicatoren.choices import UploadStatus
from indicatoren.models import Upload
from invoer.uploads import UploadRejected, benchmark_import
from maatregelen.models import (
    Evidence,
    EvidenceKind,
    Measure,
    MeasureCategory,
    MeasureStatus,
    Promise,
    Review,
    Spending,
)
from maatregelen.services import (
    lumpsum_set,
    partner_agreement_save,
    promise_save,
    publication_set,
    spending_record,
)
from rapportage.choices import RunState
from rapportage.selectors import last_run
from rapportage.services import recompute_now

PASSWORD = "kwaliteit2019"
DEMO_FILE = "demo-benchmark-synthetisch.csv"
# The agenda's own comparison figures (landelijk, DUO, per mbo level) and the illustrative 2a breakdown
# by vooropleiding (issue 18); rocvaf_comparisons_sources.md says where each figure comes from.
COMPARISONS_FILE = Path(demo.__file__).resolve().parent / "data" / "rocvaf_comparisons.csv"

# Herijking 2020 (agenda Bijlage 1: "In 2020 wordt de ambitie voor 2022 bepaald"): a synthetic example.
HERIJKING = [
    ("3e", {"type": AmbitionType.MAINTAIN, "tolerance": Decimal("1.0")}),
    ("4a", {"type": AmbitionType.MAINTAIN, "tolerance": Decimal("1.0")}),
    ("4b", {"type": AmbitionType.IMPROVE}),
    ("5a", {"type": AmbitionType.TARGET, "target": Decimal("30")}),
    ("1b", {"type": AmbitionType.TARGET, "target": Decimal("48")}),
]

MEASURES = [
    ("T2", None, "Overstapcoaches vmbo-mbo", MeasureCategory.SUPPORT, ["2a-entree", "2a-n2", "2b"], 45_000_000),
    ("T2", None, "Loopbaan en Expertise Centrum (LEC)", MeasureCategory.SUPPORT, ["2b"], 120_000_000),
    ("T2", "5300", "Match op meedoen (regio Hilversum)", MeasureCategory.PROGRAMME, ["2b"], 6_000_000),
    ("T3", "5500", "Transformatieve school", MeasureCategory.PROGRAMME, ["3a", "3b"], 9_000_000),
    ("T3", None, "Excellentietrajecten", MeasureCategory.PROGRAMME, ["3d"], 30_000_000),
    ("T1", None, "Professionalisering teams (LC-scholing, DIVA)", MeasureCategory.PROGRAMME, ["1a", "1b"], 150_000_000),
    ("T4", "5800", "SCALA: opleiden op Lelystad Airport", MeasureCategory.PROGRAMME, ["4a", "4c"], 12_000_000),
    ("T5", None, "Alumni-loopbaancoach entree/niveau 2", MeasureCategory.PROGRAMME, ["5a"], 8_000_000),
]

# What the demo shows partners on /verantwoording/ (issue 14, item 4); the rest stays internal.
PUBLIC_MEASURES = ["Overstapcoaches vmbo-mbo", "Loopbaan en Expertise Centrum (LEC)", "Excellentietrajecten"]
PUBLIC_EVIDENCE = ["Van entree naar niveau 2 (synthetisch)"]

# Realised spending (synthetic, issue 14): (year, theme, college or None, measure title or None, cents, note).
DEMO_SPENDING = [
    (
        2020,
        "T1",
        None,
        "Professionalisering teams (LC-scholing, DIVA)",
        41_234_567,
        "LC-scholing cohort 1 (synthetisch)",
    ),
    (2020, "T2", None, "Overstapcoaches vmbo-mbo", 12_345_601, "Synthetisch"),
    (2020, "T2", "5100", None, 31_250_033, "Pluscoaches entree (synthetisch)"),
    (2020, "T2", "5300", "Match op meedoen (regio Hilversum)", 2_999_999, "Synthetisch"),
    (2020, "T3", "5500", "Transformatieve school", 4_100_050, "Synthetisch"),
    (
        2021,
        "T1",
        None,
        "Professionalisering teams (LC-scholing, DIVA)",
        52_000_001,
        "LC-scholing cohort 2 (synthetisch)",
    ),
    (2021, "T2", "5100", None, 98_765_432, "Meer pluscoaches dan toegekend (synthetisch voorbeeld van overschrijding)"),
    (2021, "T2", "5300", "Match op meedoen (regio Hilversum)", 3_500_001, "Synthetisch: boven het geplande budget"),
    (2021, "T4", "5800", "SCALA: opleiden op Lelystad Airport", 5_432_109, "Synthetisch"),
]

# The manifesto's model (synthetic, after the agenda's themes): promises with partners.
DEMO_PROMISES = [
    {
        "theme": "T2",
        "title": "Iedere jongere een passende plek (synthetisch)",
        "promise": "Geen jongere in Amsterdam en Flevoland verlaat het mbo zonder startkwalificatie of passende plek.",
        "origin": "beide",
        "target_groups": ["starters", "herstarters"],
        "own_target_groups": "entreestudenten",
        "effect_inside": "Minder voortijdig schoolverlaten en betere doorstroom van entree naar niveau 2.",
        "effect_outside": "Minder jongeren zonder werk of opleiding in de regio.",
        "budget_cents": 700_000_000,
        "accountability": "Jaarverslag en halfjaarlijks aan het RMC-overleg van de gemeenten.",
        "regional_spearhead": True,
        "partners": [
            {
                "partner": "Gemeente Amsterdam (RMC-regio)",
                "agreement": "Sluitende aanpak voor jongeren zonder startkwalificatie.",
                "agreed_on": date(2019, 3, 15),
                "regional_deal": True,
            },
            {"partner": "UWV Amsterdam", "agreement": "Warme overdracht van herstarters.", "regional_deal": False},
        ],
    },
    {
        "theme": "T4",
        "title": "Opleiden voor de metropoolregio (synthetisch)",
        "promise": "Opleidingen sluiten aan op de tekortsectoren van de metropoolregio en Flevoland.",
        "origin": "extern",
        "target_groups": ["doorstarters"],
        "own_target_groups": "werkenden die zich omscholen",
        "effect_inside": "Meer bpv-plaatsen in tekortsectoren.",
        "effect_outside": "Minder openstaande vacatures in techniek, zorg en luchtvaart.",
        "budget_cents": 450_000_000,
        "accountability": "Jaarlijks aan de Amsterdam Economic Board en in het jaarverslag.",
        "regional_spearhead": True,
        "partners": [
            {
                "partner": "Lelystad Airport (SCALA)",
                "agreement": "Opleiden op de luchthaven.",
                "agreed_on": date(2019, 9, 1),
                "regional_deal": False,
            },
        ],
    },
    {
        "theme": "T1",
        "title": "Elk team een superschool (synthetisch)",
        "promise": "Teams werken volgens de eigen meerjarenstrategie aan onderwijs van hoge kwaliteit.",
        "origin": "eigen_strategie",
        "target_groups": [],
        "own_target_groups": "alle studenten",
        "effect_inside": "Teams sturen zelf op hun resultaten.",
        "effect_outside": "",
        "budget_cents": 250_000_000,
        "accountability": "Q-gesprekken en het jaarverslag.",
        "regional_spearhead": False,
        "partners": [],
    },
]


class Command(BaseCommand):
    help = "Zet de synthetische demo klaar: teams, gegevens, gebruikers, herijking en maatregelen (ROCVAF)."

    def handle(self, *args, **options):
        institution = Institution.objects.filter(code="ROCVAF").first()
        if institution is None:
            raise CommandError(
                "Laad eerst de agenda: python manage.py load_agenda agenda/agendas/rocvaf-2019-2022.yaml"
            )
        # One transaction: the changes coalesce into a single recompute when it commits.
        with transaction.atomic():
            created = self._teams(institution)
            institution.synthetic_data = True
            institution.save(update_fields=["synthetic_data"])
            users = self._users(institution)
            self.stdout.write(
                f"Teams: {created} nieuw, {Team.objects.filter(institution=institution).count()} in totaal."
            )
            self._data(institution)
            self._comparisons(institution)
            self._team_stops(institution)
            self._herijking(institution, users["beleid"])
            self._measures(institution, users)
            self._accountability(institution, users)
            self._partner_view(institution, users)
        run = last_run(institution)
        if run is None or run.state != RunState.DONE:
            run = recompute_now(institution=institution, reason="demo klaargezet")
        self.stdout.write(f"Oordelen en budget berekend in {run.duration_ms} ms ({run.get_state_display()}).")
        self.stdout.write("")
        self.stdout.write("Inloggen op http://127.0.0.1:8000 met (wachtwoord voor iedereen: " + PASSWORD + "):")
        self.stdout.write("  bestuur          Raad van Bestuur: leest alles")
        self.stdout.write("  beleid           beleidsmedewerker: agenda, uploads, beheer")
        for college in College.objects.filter(institution=institution).order_by("code"):
            self.stdout.write(f"  directeur{college.code:<7} directeur {college.name}")
        self.stdout.write("  teamleider5100   teamleider van één team van 5100: voert de waarden van dat team in")
        self.stdout.write("  partner          regionale partner: leest alleen de verantwoording (/verantwoording/)")

    def _team_stops(self, institution) -> None:
        """Let the director of 5500 end team ONA after 2020, after its 2021-2022 figures were delivered.

        Shows issue 11's rule on the demo: the values stay stored and visible, but from 2021 on ONA
        is no longer counted in 5500's verdicts (domain.md, "Which teams and colleges count").
        """
        team = Team.objects.get(institution=institution, code="5500-ONA")
        if team.active_until != 2020:
            team_update(team=team, name=team.name, active_until=2020, allowed_colleges={team.college_id})
            self.stdout.write("Team 5500-ONA: actief tot en met 2020 (waarden 2021-2022 bewaard, tellen niet mee).")

    def _teams(self, institution) -> int:
        """Create the synthetic teams that do not exist yet."""
        colleges = {c.code: c for c in College.objects.filter(institution=institution)}
        existing = set(Team.objects.filter(institution=institution).values_list("code", flat=True))
        new = [
            Team(
                institution=institution,
                college=colleges[t["college"]],
                code=t["code"],
                name=t["name"],
                active_from=t["active_from"],
                active_until=t["active_until"],
            )
            for t in demo.demo_teams()
            if t["code"] not in existing
        ]
        Team.objects.bulk_create(new)
        return len(new)

    def _users(self, institution) -> dict:
        """Create the demo users with their roles (printed at the end)."""
        User = get_user_model()
        users = {}

        def user(username, role, colleges=(), staff=False):
            account, made = User.objects.get_or_create(username=username, defaults={"is_staff": staff})
            if made:
                account.set_password(PASSWORD)
                account.save()
            membership, _ = Membership.objects.get_or_create(
                user=account, institution=institution, defaults={"role": role}
            )
            if colleges:
                membership.colleges.set(colleges)
            users[username] = account
            return account

        user("bestuur", Role.BOARD)
        beleid = user("beleid", Role.POLICY, staff=True)
        beleid.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["agenda", "indicatoren", "maatregelen", "rapportage"]
            )
        )
        for college in College.objects.filter(institution=institution):
            user(f"directeur{college.code}", Role.DIRECTOR, colleges=[college])
        # A teamleider enters its own team's values; directeur5100 then submits them (issue 15).
        team = (
            Team.objects.filter(institution=institution, college__code="5100", active_until__isnull=True)
            .order_by("code")
            .first()
        )
        if team is not None:
            leader = user("teamleider5100", Role.TEAM_LEADER)
            membership_teams_set(membership=leader.memberships.get(institution=institution), teams=[team])
        return users

    def _data(self, institution) -> None:
        """Import the synthetic benchmark file through the normal upload pipeline (once)."""
        if Upload.objects.filter(
            institution=institution, original_name=DEMO_FILE, status=UploadStatus.ACCEPTED
        ).exists():
            self.stdout.write("Demogegevens: al geïmporteerd.")
            return
        rows = demo.demo_rows()
        lines = [";".join(demo.CSV_COLUMNS)] + [
            ";".join(
                str(row[c]).replace(".", ",") if c == "waarde" else str(row[c] if row[c] is not None else "")
                for c in demo.CSV_COLUMNS
            )
            for row in rows
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        try:
            # The generator makes a few deliberate outliers (e.g. 5800-REI's 1b); they carry this note.
            upload = benchmark_import(
                institution=institution,
                data=data,
                filename=DEMO_FILE,
                channel="demo",
                note="synthetische demodata: bewust afwijkende waarde",
            )
        except UploadRejected as exc:
            for error in exc.errors[:20]:
                self.stderr.write(f"  rij {error.row} {error.column}: {error.message}")
            raise
        self.stdout.write(
            f"Demogegevens (synthetisch): {upload.rows_new} waarden geïmporteerd als upload #{upload.pk}."
        )

    def _comparisons(self, institution) -> None:
        """Import the agenda's comparison figures through the normal upload pipeline (once).

        They are ContextValues (series and breakdown groups): no verdict or euro moves, so the
        recompute at the end is the same with or without them.
        """
        name = COMPARISONS_FILE.name
        if Upload.objects.filter(institution=institution, original_name=name, status=UploadStatus.ACCEPTED).exists():
            self.stdout.write("Vergelijkingscijfers: al geïmporteerd.")
            return
        try:
            upload = benchmark_import(
                institution=institution, data=COMPARISONS_FILE.read_bytes(), filename=name, channel="demo"
            )
        except UploadRejected as exc:
            for error in exc.errors[:20]:
                self.stderr.write(f"  rij {error.row} {error.column}: {error.message}")
            raise
        self.stdout.write(
            f"Vergelijkingscijfers uit de agenda (landelijk, DUO, per niveau) en een illustratieve uitsplitsing "
            f"naar vooropleiding: {upload.rows_new} waarden geïmporteerd als upload #{upload.pk}."
        )

    def _herijking(self, institution, author) -> None:
        """Revise some 2022 ambitions as the 2020 herijking could have (synthetic example)."""
        for code, spec in HERIJKING:
            indicator = Indicator.objects.get(institution=institution, code=code)
            if Ambition.objects.filter(indicator=indicator, year=2022, revision__gt=1).exists():
                continue
            ambition_revise(
                indicator=indicator,
                year=2022,
                indicative=False,
                reason="Herijking 2020 (synthetisch voorbeeld voor de demo)",
                author=author,
                **spec,
            )

    def _accountability(self, institution, users) -> None:
        """Add realised spending, three promises of the manifesto's model and a lumpsum (synthetic; issue 14)."""
        if (
            Spending.objects.filter(institution=institution).exists()
            or Promise.objects.filter(institution=institution).exists()
        ):
            return
        themes = {t.code: t for t in Theme.objects.filter(institution=institution)}
        colleges = {c.code: c for c in College.objects.filter(institution=institution)}
        measures = {m.title: m for m in Measure.objects.filter(institution=institution)}
        for year, theme, college, title, cents, note in DEMO_SPENDING:
            spending_record(
                institution=institution,
                year=year,
                theme=themes[theme],
                college=colleges.get(college),
                measure=measures.get(title),
                amount_cents=cents,
                note=note,
                user=users["beleid"],
            )
        for spec in DEMO_PROMISES:
            spec = dict(spec)
            partners = spec.pop("partners")
            promise = promise_save(
                institution=institution, theme=themes[spec.pop("theme")], user=users["beleid"], **spec
            )
            for partner in partners:
                partner_agreement_save(promise=promise, user=users["beleid"], **partner)
        # A synthetic lumpsum (the agenda gives none): 28 mln of 275 mln is a little over the manifesto's 10 %.
        for budget_year in BudgetYear.objects.filter(institution=institution, year__in=(2020, 2021)):
            lumpsum_set(budget_year=budget_year, lumpsum_total_cents=27_500_000_000, user=users["beleid"])

    def _partner_view(self, institution, users) -> None:
        """Add the login `partner` and mark a few measures and evidence public for it (issue 14, item 4)."""
        account, made = get_user_model().objects.get_or_create(username="partner")
        if made:
            account.set_password(PASSWORD)
            account.save()
        Membership.objects.get_or_create(user=account, institution=institution, defaults={"role": Role.PARTNER})
        shown = list(Measure.objects.filter(institution=institution, title__in=PUBLIC_MEASURES)) + list(
            Evidence.objects.filter(institution=institution, title__in=PUBLIC_EVIDENCE)
        )
        for record in shown:
            if not record.public:
                publication_set(record=record, public=True, user=users["beleid"])

    def _measures(self, institution, users) -> None:
        """Add a few measures, evidence and a Q-review (synthetic, after the agenda's appendix)."""
        if Measure.objects.filter(institution=institution).exists():
            return
        themes = {t.code: t for t in Theme.objects.filter(institution=institution)}
        colleges = {c.code: c for c in College.objects.filter(institution=institution)}
        for theme, college, title, category, indicators, cents in MEASURES:
            measure = Measure.objects.create(
                institution=institution,
                theme=themes[theme],
                college=colleges.get(college),
                title=title,
                description="Synthetisch voorbeeld naar Bijlage 1 van de agenda.",
                category=category,
                planned_budget_cents=cents,
                status=MeasureStatus.RUNNING,
                owner="Directeur " + (college or "onderwijs"),
            )
            measure.indicators.set(Indicator.objects.filter(institution=institution, code__in=indicators))
        Evidence.objects.create(
            institution=institution,
            theme=themes["T2"],
            college=colleges["5100"],
            year=2020,
            kind=EvidenceKind.STORY,
            title="Van entree naar niveau 2 (synthetisch)",
            text="Een student vertelt hoe de overstapcoach hielp bij de stap naar niveau 2.",
            created_by=users["directeur5100"],
        )
        Evidence.objects.create(
            institution=institution,
            theme=themes["T1"],
            year=2020,
            kind=EvidenceKind.AUDIT,
            title="Interne audit superschool (synthetisch)",
            text="Teams herkennen de koers 'elk team een superschool'; de bpv-begeleiding kan sterker.",
            created_by=users["beleid"],
        )
        Review.objects.create(
            college=colleges["5100"],
            year=2020,
            quadrimester=2,
            notes="Vsv stabiel; jaarresultaat niveau 2 nog onder de nulmeting (synthetisch).",
            actions="Extra pluscoaches in de niveau 2-teams.",
            created_by=users["directeur5100"],
        )
