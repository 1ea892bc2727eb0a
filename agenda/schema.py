"""Read and validate an agenda definition file (contracts.md section 1) without the database.

Every problem is reported with its path in the file, e.g.
`themes[2].indicators[0].polarity: ...`, all at once, so a policy officer can fix the
file in one go. The result is a normalised plain structure that services.agenda_load
writes.
"""

import difflib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import yaml

from agenda.choices import AmbitionType, Effect, Level, Polarity, Unit
from kern.rules import MAX_CENTS, MAX_DECIMALS, UNIT_RANGES, code_problem  # the rules' one home (pure, no Django)

# Manifesto principle 4 (domain.md, budget): at most 25 % of each college's theme amount is
# result-dependent. The loader and BudgetYear.clean (the admin) both refuse more.
RESULT_DEPENDENT_MAX_PCT = Decimal(25)

KEYS = {
    "": {"institution", "period", "colleges", "themes", "budget"},
    "institution": {"code", "name"},
    "period": {"start", "end"},
    "college": {"code", "name", "active", "teams"},
    "team": {"code", "name", "active_from", "active_until"},
    "theme": {
        "code",
        "name",
        "national",
        "budget_share_pct",
        "ambition",
        "goals",
        "indicators",
        "additional_funds",
        "revisions",
    },
    "share_revision": {"from", "budget_share_pct", "reason"},
    "indicator": {
        "code",
        "name",
        "unit",
        "polarity",
        "levels",
        "baseline",
        "ambitions",
        "factors",
        "description",
        "definition",
        "source",
        "choices",
        "colleges",
        "revisions",
        "breakdowns",
        "composite",
    },
    # Extension (issue 18, contracts-extensions.md "Agenda file: breakdowns and composites").
    "composite": {"weight_by_n", "components"},
    "component": {"indicator", "weight"},
    "indicator_revision": {"from", "colleges", "baseline", "reason"},
    "baseline": {"year", "value"},
    "ambition": {"year", "type", "target", "tolerance", "indicative", "reason", "revisions"},
    "revision": {"type", "target", "tolerance", "indicative", "reason", "date"},
    "factor": {"name", "effect", "description"},
    "fund": {"source", "amount_eur", "year", "note"},
    "budget": {"year", "total_eur", "result_dependent_pct", "central_pct", "choices"},
    "choice": {"field", "reason"},
}

# Extension (docs/contracts-extensions.md section 8): `choices` marks what the institution chose
# where its agenda leaves a setting open, each with the field it concerns and the reason. The
# fields a choice may name, with the Dutch words the indicator page shows for them.
INDICATOR_CHOICE_FIELDS = {
    "code": "afbakening van de indicator",
    "name": "naam",
    "unit": "eenheid",
    "polarity": "richting (wat beter is)",
    "levels": "meetniveaus",
    "colleges": "colleges waarvoor de indicator geldt",
    "definition": "definitie",
    "source": "bron",
    "description": "toelichting",
    "factors": "verklarende factoren",
    "baseline": "nulmeting",
    "baseline.year": "nulmeting: jaar",
    "baseline.value": "nulmeting: waarde",
    "ambitions": "ambities",
}
AMBITION_CHOICE_TERMS = {
    "type": "soort",
    "target": "streefcijfer",
    "tolerance": "marge van behoud",
    "indicative": "indicatief",
}
BUDGET_CHOICE_FIELDS = {
    "total_eur": "totaal budget",
    "result_dependent_pct": "resultaatafhankelijk deel",
    "central_pct": "deel voor gemeenschappelijke voorzieningen",
}


class AgendaFileError(Exception):
    """An agenda file that cannot be loaded; `errors` lists every problem with its path."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class _Checker:
    """Collects errors while walking the file."""

    errors: list[str] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        """Record one problem at `path`."""
        self.errors.append(f"{path or '(bestand)'}: {message}")

    def mapping(self, value, path: str, kind: str, required: set[str]) -> dict | None:
        """Return `value` if it is a mapping with the required keys and no unknown ones."""
        if not isinstance(value, dict):
            self.error(path, "verwacht een object met sleutels")
            return None
        for key in sorted(required - value.keys()):
            self.error(_join(path, key), "ontbreekt")
        for key in sorted(value.keys() - KEYS[kind], key=str):
            hint = difflib.get_close_matches(str(key), sorted(KEYS[kind]), n=1)
            self.error(_join(path, str(key)), "onbekende sleutel" + (f"; bedoelde u '{hint[0]}'?" if hint else ""))
        return value

    def items(self, value, path: str, required: bool = True) -> list:
        """Return `value` if it is a list."""
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.error(path, "verwacht een lijst")
            return []
        return value

    def text(self, value, path: str, max_length: int = 300, required: bool = True) -> str:
        """Return `value` as stripped text; codes may be written as numbers."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(path, "mag niet leeg zijn")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            self.error(path, "verwacht tekst")
            return ""
        text = str(value).strip()
        if len(text) > max_length:
            self.error(path, f"te lang (hoogstens {max_length} tekens)")
        return text

    def code(self, value, path: str, what: str) -> str:
        """Return a college or team code as text, checked against the rule for codes (kern.rules)."""
        text = self.text(value, path, max_length=10**9)  # the rule below names a code that is too long
        problem = code_problem(text, what) if text else None
        if problem:
            self.error(path, problem)
        return text

    def integer(self, value, path: str, low: int | None = None, high: int | None = None) -> int | None:
        """Return `value` if it is a whole number within [low, high]."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"verwacht een geheel getal, niet {value!r}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(path, f"{value} valt buiten {low}-{high}")
            return None
        return value

    def number(self, value, path: str, low: Decimal | None = None, high: Decimal | None = None) -> Decimal | None:
        """Return `value` as an exact Decimal within [low, high]."""
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.error(path, f"verwacht een getal, niet {value!r}")
            return None
        try:
            # A file's numbers arrive as exact Decimals (parse_agenda_text); str() of a float from a
            # dict gives its shortest digits: 6.7 stays 6.7, not 6.70000000000000018.
            number = Decimal(str(value).replace(",", "."))
        except InvalidOperation:
            self.error(path, f"verwacht een getal, niet {value!r}")
            return None
        if not number.is_finite():
            self.error(path, "verwacht een eindig getal")
            return None
        if -number.as_tuple().exponent > MAX_DECIMALS:
            self.error(path, f"hoogstens {MAX_DECIMALS} decimalen")
            return None
        if (low is not None and number < low) or (high is not None and number > high):
            bounds = f"{low}-{high}" if high is not None else f">= {low}"
            self.error(path, f"{number} valt buiten {bounds}")
            return None
        return number

    def flag(self, value, path: str, default: bool) -> bool:
        """Return `value` if it is a boolean, else `default` (and an error when it is not absent)."""
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, "verwacht true of false")
            return default
        return value

    def choice(self, value, path: str, choices) -> str:
        """Return `value` if it is one of `choices`."""
        allowed = [str(c) for c in choices]
        if value not in allowed:
            hint = difflib.get_close_matches(str(value), allowed, n=1)
            self.error(
                path, f"'{value}' is niet een van {', '.join(allowed)}" + (f"; bedoelde u '{hint[0]}'?" if hint else "")
            )
            return ""
        return value

    def unique(self, codes: list[tuple[str, str]], what: str, *, ignoring_case: bool = False) -> None:
        """Record an error for each code that occurs twice (with both paths), in any case when `ignoring_case`."""
        seen: dict[str, str] = {}
        for path, code in codes:
            key = code.lower() if ignoring_case and code else code
            if code and key in seen:
                also = "; hoofdletters tellen niet mee" if ignoring_case else ""
                self.error(path, f"{what} '{code}' komt twee keer voor (ook in {seen[key]}{also})")
            seen.setdefault(key, path)


def _join(path: str, key: str) -> str:
    """Return `path.key` (or `key` at the top)."""
    return f"{path}.{key}" if path else key


class _ExactLoader(yaml.SafeLoader):
    """yaml.safe_load's reading, with a number that has a fraction as an exact Decimal instead of a float."""


def _exact_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | float:
    """Return a YAML float as the Decimal of its digits (.inf, .nan and 1:30.5 as the float YAML makes of them)."""
    try:
        return Decimal(loader.construct_scalar(node).replace("_", ""))
    except InvalidOperation:
        return loader.construct_yaml_float(node)


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_float)


class _ExactDumper(yaml.SafeDumper):
    """yaml.safe_dump's writing, with a Decimal as a YAML number with every digit."""


def _decimal_number(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    """Return a Decimal as a YAML float of its own digits (a float would keep 15 to 17 of them)."""
    text = format(value, "f")
    return dumper.represent_scalar("tag:yaml.org,2002:float", text if "." in text else f"{text}.0")


_ExactDumper.add_representer(Decimal, _decimal_number)


def dump_agenda_text(document: dict) -> str:
    """Return an agenda document as YAML that parse_agenda_text reads back with every digit."""
    return yaml.dump(document, Dumper=_ExactDumper, allow_unicode=True, sort_keys=False, width=110)


def parse_agenda_text(text: str, filename: str = "") -> dict:
    """Return the file's content as a dict: JSON for .json files, else YAML (a superset).

    Numbers with a fraction are read as exact Decimals: a float would round a value of more
    than 15 digits before the checks see it (domain.md, "Every number is exact"; issue 11 part 7).
    """
    try:
        if filename.lower().endswith(".json"):
            data = json.loads(text, parse_float=Decimal)
        else:
            data = yaml.load(text, Loader=_ExactLoader)  # a SafeLoader with one more constructor: safe
    except json.JSONDecodeError as exc:
        raise AgendaFileError(
            [f"(bestand): geen geldige JSON: regel {exc.lineno}, kolom {exc.colno}: {exc.msg}"]
        ) from exc
    except RecursionError:
        # JSON or YAML nested a thousand levels deep: both parsers recurse per level (a traceback before).
        raise AgendaFileError(["(bestand): de gegevens zijn te diep genest; dit is geen agendabestand"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"regel {mark.line + 1}, kolom {mark.column + 1}: " if mark else ""
        raise AgendaFileError([f"(bestand): geen geldige YAML: {where}{getattr(exc, 'problem', exc)}"]) from exc
    if not isinstance(data, dict):
        raise AgendaFileError(["(bestand): verwacht een object met institution, period, colleges, themes, budget"])
    return data


def validate_agenda(data: dict) -> dict:
    """Return the normalised agenda, or raise AgendaFileError with every problem and its path."""
    c = _Checker()
    root = c.mapping(data, "", "", {"institution", "period", "colleges", "themes"}) or {}
    inst = c.mapping(root.get("institution"), "institution", "institution", {"code", "name"}) or {}
    period = c.mapping(root.get("period"), "period", "period", {"start", "end"}) or {}
    start = c.integer(period.get("start"), "period.start", 1990, 2100)
    end = c.integer(period.get("end"), "period.end", 1990, 2100)
    if start is not None and end is not None and end < start:
        c.error("period.end", f"{end} ligt voor period.start {start}")
    years = (start or 1990, end or 2100)
    out = {
        "institution": {
            "code": c.text(inst.get("code"), "institution.code", 20),
            "name": c.text(inst.get("name"), "institution.name", 200),
        },
        "period": {"start": start, "end": end},
        "colleges": [],
        "themes": [],
        "budget": [],
    }

    team_codes, college_codes = [], []
    for i, raw in enumerate(c.items(root.get("colleges"), "colleges")):
        path = f"colleges[{i}]"
        col = c.mapping(raw, path, "college", {"code", "name"}) or {}
        college = {
            "code": c.code(col.get("code"), f"{path}.code", "Collegecode"),
            "name": c.text(col.get("name"), f"{path}.name", 200),
            "active": c.flag(col.get("active"), f"{path}.active", True),
            "teams": [],
        }
        college_codes.append((f"{path}.code", college["code"]))
        for j, traw in enumerate(c.items(col.get("teams"), f"{path}.teams", required=False)):
            tpath = f"{path}.teams[{j}]"
            t = c.mapping(traw, tpath, "team", {"code", "name"}) or {}
            team = {
                "code": c.code(t.get("code"), f"{tpath}.code", "Teamcode"),
                "name": c.text(t.get("name"), f"{tpath}.name", 200),
                "active_from": c.integer(t["active_from"], f"{tpath}.active_from", 1990, 2100)
                if t.get("active_from") is not None
                else None,
                "active_until": c.integer(t["active_until"], f"{tpath}.active_until", 1990, 2100)
                if t.get("active_until") is not None
                else None,
            }
            if team["active_from"] and team["active_until"] and team["active_until"] < team["active_from"]:
                c.error(f"{tpath}.active_until", "ligt voor active_from")
            team_codes.append((f"{tpath}.code", team["code"]))
            college["teams"].append(team)
        out["colleges"].append(college)
    if not out["colleges"] and isinstance(root.get("colleges"), list):
        c.error("colleges", "minstens één college")
    c.unique(college_codes, "collegecode", ignoring_case=True)
    c.unique(team_codes, "teamcode", ignoring_case=True)
    known_colleges = sorted({code for _, code in college_codes if code})

    theme_codes, indicator_codes = [], []
    for i, raw in enumerate(c.items(root.get("themes"), "themes")):
        path = f"themes[{i}]"
        th = c.mapping(raw, path, "theme", {"code", "name"}) or {}
        theme = {
            "code": c.text(th.get("code"), f"{path}.code", 20),
            "name": c.text(th.get("name"), f"{path}.name", 200),
            "national": c.flag(th.get("national"), f"{path}.national", False),
            "budget_share_pct": c.number(
                th.get("budget_share_pct", 0), f"{path}.budget_share_pct", Decimal(0), Decimal(100)
            ),
            "ambition": c.text(th.get("ambition"), f"{path}.ambition", 5000, required=False),
            "goals": [
                c.text(g, f"{path}.goals[{k}]", 2000)
                for k, g in enumerate(c.items(th.get("goals"), f"{path}.goals", required=False))
            ],
            "indicators": [],
            "additional_funds": [],
            "revisions": _share_revisions(c, th.get("revisions"), f"{path}.revisions", years),
        }
        theme_codes.append((f"{path}.code", theme["code"]))
        for j, iraw in enumerate(c.items(th.get("indicators"), f"{path}.indicators", required=False)):
            indicator = _indicator(c, iraw, f"{path}.indicators[{j}]", years, known_colleges)
            indicator_codes.append((f"{path}.indicators[{j}].code", indicator["code"]))
            theme["indicators"].append(indicator)
        fund_keys = []
        for j, fraw in enumerate(c.items(th.get("additional_funds"), f"{path}.additional_funds", required=False)):
            fpath = f"{path}.additional_funds[{j}]"
            f = c.mapping(fraw, fpath, "fund", {"source", "amount_eur"}) or {}
            fund = {
                "source": c.text(f.get("source"), f"{fpath}.source", 200),
                "amount_cents": _cents(c, f.get("amount_eur"), f"{fpath}.amount_eur"),
                "year": c.integer(f["year"], f"{fpath}.year", 1990, 2100) if f.get("year") is not None else None,
                "note": c.text(f.get("note"), f"{fpath}.note", 2000, required=False),
            }
            fund_keys.append((f"{fpath}.source", f"{fund['source']}|{fund['year']}"))
            theme["additional_funds"].append(fund)
        c.unique(fund_keys, "bron (per jaar)")
        out["themes"].append(theme)
    c.unique(theme_codes, "themacode")
    c.unique(indicator_codes, "indicatorcode", ignoring_case=True)
    _check_composites(
        c,
        [
            (f"themes[{i}].indicators[{j}]", ind)
            for i, theme in enumerate(out["themes"])
            for j, ind in enumerate(theme["indicators"])
        ],
    )

    themes_ok = [t for t in out["themes"] if t["budget_share_pct"] is not None]
    if themes_ok and len(themes_ok) == len(out["themes"]):
        total = sum(t["budget_share_pct"] for t in themes_ok)
        national = sum(t["budget_share_pct"] for t in themes_ok if t["national"])
        # Agenda ch. 12 and the regeling: shares add up to 100 %, national themes at least a third.
        if total != 100:
            c.error("themes", f"de budget_share_pct van de thema's tellen op tot {total}, niet tot 100")
        elif 3 * national < 100:
            c.error("themes", f"de landelijke thema's krijgen samen {national} %, minder dan een derde")
        _check_share_revisions(c, out["themes"])

    budget_years = []
    for i, raw in enumerate(c.items(root.get("budget"), "budget", required=False)):
        path = f"budget[{i}]"
        b = c.mapping(raw, path, "budget", {"year", "total_eur"}) or {}
        year = c.integer(b.get("year"), f"{path}.year", 1990, 2100)
        if year is not None and start is not None and end is not None and not start <= year <= end:
            # A year without verdicts would get no result-dependent part at all (domain.md).
            c.error(f"{path}.year", f"budgetjaar {year} valt buiten de agendaperiode {start}-{end}")
        entry = {
            "year": year,
            "total_cents": _cents(c, b.get("total_eur"), f"{path}.total_eur"),
            "result_dependent_pct": c.number(
                b.get("result_dependent_pct", 25),
                f"{path}.result_dependent_pct",
                Decimal(0),
                RESULT_DEPENDENT_MAX_PCT,
            ),
            "central_pct": c.number(b.get("central_pct", 0), f"{path}.central_pct", Decimal(0), Decimal(100)),
            "choices": _choices(c, b.get("choices"), f"{path}.choices", _budget_choice_problem),
        }
        budget_years.append((f"{path}.year", str(entry["year"])))
        out["budget"].append(entry)
    c.unique(budget_years, "budgetjaar")

    if c.errors:
        raise AgendaFileError(c.errors)
    return out


def _cents(c: _Checker, value, path: str) -> int | None:
    """Return an amount in euros as integer cents (at most 2 decimals, at most what storage holds).

    Without the upper bound a budget of 10**17 euro stopped the loader with an English
    OverflowError (PostgreSQL: bigint out of range) instead of this file's error list.
    """
    amount = c.number(value, path, Decimal(0), Decimal(MAX_CENTS) / 100)
    if amount is None:
        return None
    cents = amount * 100
    if cents != cents.to_integral_value():
        c.error(path, "hoogstens 2 decimalen (centen)")
        return None
    return int(cents)


def _ambition_terms(c: _Checker, a: dict, path: str, low, high) -> dict:
    """Return the checked type, target, tolerance, indicative flag and reason of an ambition."""
    kind = c.choice(a.get("type"), f"{path}.type", AmbitionType.values)
    target = None
    if kind == AmbitionType.TARGET:
        if a.get("target") is None:
            c.error(f"{path}.target", "ontbreekt (verplicht bij type target)")
        else:
            target = c.number(a.get("target"), f"{path}.target", low, high)
    elif a.get("target") is not None:
        c.error(f"{path}.target", f"hoort alleen bij type target, niet bij {kind or '?'}")
    return {
        "type": kind,
        "target": target,
        "tolerance": c.number(a.get("tolerance", 0), f"{path}.tolerance", Decimal(0)),
        "indicative": c.flag(a.get("indicative"), f"{path}.indicative", False),
        "reason": c.text(a.get("reason"), f"{path}.reason", 2000, required=False),
    }


def _from_year(c: _Checker, value, path: str, years: tuple[int, int]) -> int | None:
    """Return the first year of a revision (herijking): a year of the agenda period."""
    year = c.integer(value, path)
    if year is not None and not years[0] <= year <= years[1]:
        c.error(path, f"{year} valt buiten de periode {years[0]}-{years[1]}")
        return None
    return year


def _share_revisions(c: _Checker, value, path: str, years: tuple[int, int]) -> list[dict]:
    """Return a theme's budget share revisions, each from a year on, in year order."""
    revisions, seen = [], []
    for k, raw in enumerate(c.items(value, path, required=False)):
        rpath = f"{path}[{k}]"
        r = c.mapping(raw, rpath, "share_revision", {"from", "budget_share_pct"}) or {}
        year = _from_year(c, r.get("from"), f"{rpath}.from", years)
        seen.append((f"{rpath}.from", str(year) if year is not None else ""))
        revisions.append(
            {
                "from": year,
                "budget_share_pct": c.number(
                    r.get("budget_share_pct"), f"{rpath}.budget_share_pct", Decimal(0), Decimal(100)
                ),
                "reason": c.text(r.get("reason"), f"{rpath}.reason", 2000, required=False),
            }
        )
    c.unique(seen, "herziening vanaf")
    return revisions


def shares_in_force(themes: list[dict], year: int) -> list[tuple[str, Decimal, bool]]:
    """Return (code, budget share, national) of each theme in `year`: its latest revision from then, else its own."""
    result = []
    for theme in themes:
        share, since = theme["budget_share_pct"], None
        for revision in theme.get("revisions", []):
            if (
                revision["from"] is not None
                and revision["from"] <= year
                and (since is None or revision["from"] > since)
            ):
                share, since = revision["budget_share_pct"], revision["from"]
        result.append((theme["code"], share, theme["national"]))
    return result


def _check_share_revisions(c: _Checker, themes: list[dict]) -> None:
    """Record an error for each year from which the shares in force stop adding up (agenda ch. 12)."""
    revisions = [r for t in themes for r in t["revisions"]]
    if any(r["from"] is None or r["budget_share_pct"] is None for r in revisions):
        return  # already reported with its path
    for year in sorted({r["from"] for r in revisions}):
        shares = shares_in_force(themes, year)
        total = sum(share for _, share, _ in shares)
        national = sum(share for _, share, is_national in shares if is_national)
        if total != 100:
            c.error("themes", f"vanaf {year} tellen de budget_share_pct van de thema's op tot {total}, niet tot 100")
        elif 3 * national < 100:
            c.error("themes", f"vanaf {year} krijgen de landelijke thema's samen {national} %, minder dan een derde")


def _colleges(c: _Checker, value, path: str, known: list[str]) -> list[str]:
    """Return the college codes an indicator applies to, each a college of the file, sorted."""
    items = c.items(value, path)
    if isinstance(value, list) and not value:
        c.error(path, "minstens één college; laat de sleutel weg als de indicator voor elk college geldt")
    codes = []
    for k, raw in enumerate(items):
        code = c.text(raw, f"{path}[{k}]", 20)
        if code and code not in known:
            hint = difflib.get_close_matches(code, known, n=1)
            c.error(
                f"{path}[{k}]",
                f"onbekende collegecode '{code}' (niet onder colleges)"
                + (f"; bedoelde u '{hint[0]}'?" if hint else ""),
            )
        codes.append((f"{path}[{k}]", code))
    c.unique(codes, "collegecode")
    return sorted({code for _, code in codes if code})


def _indicator_revisions(
    c: _Checker, value, path: str, years: tuple[int, int], known: list[str], low, high
) -> list[dict]:
    """Return an indicator's revisions (colleges and/or baseline from a year on), in year order."""
    revisions, seen = [], []
    for k, raw in enumerate(c.items(value, path, required=False)):
        rpath = f"{path}[{k}]"
        r = c.mapping(raw, rpath, "indicator_revision", {"from"}) or {}
        year = _from_year(c, r.get("from"), f"{rpath}.from", years)
        seen.append((f"{rpath}.from", str(year) if year is not None else ""))
        if r and r.get("colleges") is None and r.get("baseline") is None:
            c.error(rpath, "geef colleges of baseline (of beide) vanaf dit jaar")
        revision = {
            "from": year,
            "colleges": _colleges(c, r["colleges"], f"{rpath}.colleges", known)
            if r.get("colleges") is not None
            else None,
            "baseline_year": None,
            "baseline_value": None,
            "reason": c.text(r.get("reason"), f"{rpath}.reason", 2000, required=False),
        }
        if r.get("baseline") is not None:
            base = c.mapping(r["baseline"], f"{rpath}.baseline", "baseline", {"year"}) or {}
            revision["baseline_year"] = c.integer(base.get("year"), f"{rpath}.baseline.year", 1990, 2100)
            if base.get("value") is not None:
                revision["baseline_value"] = c.number(base["value"], f"{rpath}.baseline.value", low, high)
        revisions.append(revision)
    c.unique(seen, "herziening vanaf")
    return revisions


def _indicator(c: _Checker, raw, path: str, years: tuple[int, int], known_colleges: list[str]) -> dict:
    """Return one validated indicator."""
    ind = c.mapping(raw, path, "indicator", {"code", "name", "unit", "polarity", "levels", "baseline"}) or {}
    unit = c.choice(ind.get("unit"), f"{path}.unit", Unit.values)
    low, high = UNIT_RANGES.get(unit, (None, None))
    levels = c.items(ind.get("levels"), f"{path}.levels")
    for k, level in enumerate(levels):
        c.choice(level, f"{path}.levels[{k}]", Level.values)
    if levels and Level.INSTITUTION not in levels:
        c.error(f"{path}.levels", "moet 'institution' bevatten (de instelling heeft altijd een waarde)")
    if len(set(map(str, levels))) != len(levels):
        c.error(f"{path}.levels", "bevat een niveau twee keer")
    base = c.mapping(ind.get("baseline"), f"{path}.baseline", "baseline", {"year"}) or {}
    indicator = {
        "code": c.text(ind.get("code"), f"{path}.code", 20),
        "name": c.text(ind.get("name"), f"{path}.name", 300),
        "unit": unit,
        "polarity": c.choice(ind.get("polarity"), f"{path}.polarity", Polarity.values),
        "levels": [lv for lv in Level.values if lv in levels],
        "baseline_year": c.integer(base.get("year"), f"{path}.baseline.year", 1990, 2100),
        "baseline_value": c.number(base["value"], f"{path}.baseline.value", low, high)
        if base.get("value") is not None
        else None,
        "description": c.text(ind.get("description"), f"{path}.description", 5000, required=False),
        # Extension (contracts-extensions.md section 8): what is measured and where the figures come from.
        "definition": c.text(ind.get("definition"), f"{path}.definition", 5000, required=False),
        "source": c.text(ind.get("source"), f"{path}.source", 2000, required=False),
        # Extension (contracts.md section 5): the colleges it applies to; None is every college.
        "colleges": _colleges(c, ind["colleges"], f"{path}.colleges", known_colleges)
        if ind.get("colleges") is not None
        else None,
        "revisions": _indicator_revisions(
            c, ind.get("revisions"), f"{path}.revisions", years, known_colleges, low, high
        ),
        # Extension (issue 18): the groups a value may be split by, and a weighted composite.
        "breakdowns": _breakdowns(c, ind.get("breakdowns"), f"{path}.breakdowns"),
        "composite": _composite(c, ind.get("composite"), f"{path}.composite"),
        "ambitions": [],
        "factors": [],
    }
    if levels and not {Level.TEAM, Level.COLLEGE} & set(levels):
        # An institution-only indicator (3c) has no college verdicts to leave out.
        if indicator["colleges"] is not None:
            c.error(f"{path}.colleges", "alleen bij een indicator die per college of team gemeten wordt")
        for k, revision in enumerate(indicator["revisions"]):
            if revision["colleges"] is not None:
                c.error(
                    f"{path}.revisions[{k}].colleges", "alleen bij een indicator die per college of team gemeten wordt"
                )
    ambition_years = []
    for k, raw_amb in enumerate(c.items(ind.get("ambitions"), f"{path}.ambitions", required=False)):
        apath = f"{path}.ambitions[{k}]"
        a = c.mapping(raw_amb, apath, "ambition", {"year", "type"}) or {}
        year = c.integer(a.get("year"), f"{apath}.year", years[0] - 10, years[1] + 10)
        ambition_years.append((f"{apath}.year", str(year)))
        ambition = {"year": year, **_ambition_terms(c, a, apath, low, high)}
        # Extension for backups: the earlier versions of this ambition, oldest first (herijking).
        ambition["revisions"] = []
        for r, raw_rev in enumerate(c.items(a.get("revisions"), f"{apath}.revisions", required=False)):
            rpath = f"{apath}.revisions[{r}]"
            rev = c.mapping(raw_rev, rpath, "revision", {"type"}) or {}
            terms = _ambition_terms(c, rev, rpath, low, high)
            terms["date"] = c.text(rev.get("date"), f"{rpath}.date", 40, required=False)
            ambition["revisions"].append(terms)
        indicator["ambitions"].append(ambition)
    c.unique(ambition_years, "ambitiejaar")
    years_set = {a["year"] for a in indicator["ambitions"] if a["year"] is not None}
    indicator["choices"] = _choices(
        c, ind.get("choices"), f"{path}.choices", lambda field: _indicator_choice_problem(field, years_set)
    )
    factor_names = []
    for k, raw_factor in enumerate(c.items(ind.get("factors"), f"{path}.factors", required=False)):
        fpath = f"{path}.factors[{k}]"
        f = c.mapping(raw_factor, fpath, "factor", {"name"}) or {}
        factor = {
            "name": c.text(f.get("name"), f"{fpath}.name", 200),
            "effect": c.choice(str(f.get("effect", "?")), f"{fpath}.effect", Effect.values),
            "description": c.text(f.get("description"), f"{fpath}.description", 2000, required=False),
        }
        factor_names.append((f"{fpath}.name", factor["name"]))
        indicator["factors"].append(factor)
    c.unique(factor_names, "factor")
    return indicator


# Breakdown names (issue 18): an import names a group as `dimensie: groep`, so neither has a ':'.
DIMENSION_MAX, GROUP_MAX = 40, 60


def _breakdown_name(c: _Checker, value, path: str, max_length: int) -> str:
    """Return a dimension or group name: text of 1 to `max_length` characters without ':'."""
    text = c.text(value, path, max_length)
    if ":" in text:
        c.error(path, f"'{text}' bevat een ':' (een upload schrijft 'dimensie: groep')")
    return text


def _breakdowns(c: _Checker, value, path: str) -> dict[str, list[str]]:
    """Return an indicator's breakdowns: per dimension its distinct groups, as the file orders them."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.error(path, "verwacht per dimensie een lijst groepen, bijvoorbeeld vooropleiding: [PrO, vso]")
        return {}
    result, dimensions = {}, []
    for key, raw in value.items():
        dpath = _join(path, str(key))
        dimension = _breakdown_name(c, key, dpath, DIMENSION_MAX)
        dimensions.append((dpath, dimension.casefold()))
        items = c.items(raw, dpath)
        if isinstance(raw, list) and not raw:
            c.error(dpath, "minstens één groep")
        groups, seen = [], []
        for k, graw in enumerate(items):
            group = _breakdown_name(c, graw, f"{dpath}[{k}]", GROUP_MAX)
            # An upload matches a group case-insensitively, so 'PrO' and 'pro' would be one group.
            seen.append((f"{dpath}[{k}]", group.casefold()))
            groups.append(group)
        c.unique(seen, "groep")
        result[dimension] = groups
    c.unique(dimensions, "dimensie")
    return result


def _composite(c: _Checker, value, path: str) -> dict | None:
    """Return an indicator's composite definition (weights exact, > 0), or None; cross-checks follow later."""
    if value is None:
        return None
    comp = c.mapping(value, path, "composite", {"components"}) or {}
    components = []
    for k, raw in enumerate(c.items(comp.get("components"), f"{path}.components")):
        cpath = f"{path}.components[{k}]"
        entry = c.mapping(raw, cpath, "component", {"indicator", "weight"}) or {}
        weight = c.number(entry["weight"], f"{cpath}.weight", Decimal(0)) if "weight" in entry else None
        if weight is not None and weight <= 0:
            c.error(f"{cpath}.weight", "moet groter zijn dan 0")
        components.append(
            {
                "indicator": c.text(entry["indicator"], f"{cpath}.indicator", 20) if "indicator" in entry else "",
                "weight": weight,
            }
        )
    return {"weight_by_n": c.flag(comp.get("weight_by_n"), f"{path}.weight_by_n", False), "components": components}


def _check_composites(c: _Checker, indicators: list[tuple[str, dict]]) -> None:
    """Record what makes a composite unusable: unknown, own, nested or other-unit components, or fewer than 2."""
    by_code = {ind["code"]: ind for _, ind in indicators if ind["code"]}
    for path, ind in indicators:
        composite = ind["composite"]
        if composite is None:
            continue
        cpath = f"{path}.composite.components"
        if len(composite["components"]) < 2:
            c.error(cpath, "minstens twee componenten (een samengestelde indicator weegt er meer dan één)")
        seen = []
        for k, entry in enumerate(composite["components"]):
            code, epath = entry["indicator"], f"{cpath}[{k}].indicator"
            seen.append((epath, code))
            if not code:
                continue
            other = by_code.get(code)
            if code == ind["code"]:
                c.error(epath, "een indicator kan geen component van zichzelf zijn")
            elif other is None:
                hint = difflib.get_close_matches(code, sorted(by_code), n=1)
                c.error(
                    epath,
                    f"onbekende indicator '{code}' (niet in dit bestand)"
                    + (f"; bedoelde u '{hint[0]}'?" if hint else ""),
                )
            elif other["composite"] is not None:
                c.error(epath, f"'{code}' is zelf samengesteld; een component kan geen samengestelde indicator zijn")
            elif other["unit"] and ind["unit"] and other["unit"] != ind["unit"]:
                c.error(epath, f"'{code}' heeft eenheid {other['unit']}, de samengestelde indicator {ind['unit']}")
            elif other["polarity"] and ind["polarity"] and other["polarity"] != ind["polarity"]:
                # A mean of a "lower is better" and a "higher is better" figure means nothing, yet it
                # would be judged and move money.
                c.error(
                    epath,
                    f"'{code}' heeft richting {other['polarity']}, de samengestelde indicator {ind['polarity']}"
                    " (een gemiddelde van beter-is-hoger en beter-is-lager betekent niets)",
                )
        c.unique(seen, "component")


def _choices(c: _Checker, value, path: str, problem) -> list[dict]:
    """Return the checked choices of an indicator or budget row: each a field it may name and a reason.

    `problem(field)` returns why a field cannot be named, or None.
    """
    choices, seen = [], []
    for k, raw in enumerate(c.items(value, path, required=False)):
        cpath = f"{path}[{k}]"
        entry = c.mapping(raw, cpath, "choice", {"field", "reason"}) or {}
        # A missing key is reported once by mapping(); an empty one here.
        name = c.text(entry["field"], f"{cpath}.field", 100) if "field" in entry else ""
        reason = c.text(entry["reason"], f"{cpath}.reason", 2000) if "reason" in entry else ""
        if name:
            message = problem(name)
            if message:
                c.error(f"{cpath}.field", message)
        seen.append((f"{cpath}.field", name))
        choices.append({"field": name, "reason": reason})
    c.unique(seen, "keuze voor veld")
    return choices


def _indicator_choice_problem(name: str, ambition_years: set[int]) -> str | None:
    """Return why `name` is not a field of the indicator a choice can name, or None.

    Fields: a key of the indicator, `baseline.year` / `baseline.value`, or `ambitions`, optionally
    followed by an ambition year of the indicator and/or a term: `ambitions.2022.type`,
    `ambitions.tolerance` (every year).
    """
    parts = name.split(".")
    if parts[0] == "ambitions":
        rest = parts[1:]
        if rest and rest[0].isdigit():
            year = int(rest.pop(0))
            if year not in ambition_years:
                known = ", ".join(str(y) for y in sorted(ambition_years)) or "geen"
                return f"'{name}': de indicator heeft geen ambitie voor {year} (ambitiejaren: {known})"
        if rest and rest[0] in AMBITION_CHOICE_TERMS and len(rest) == 1:
            return None
        if not rest:
            return None
        return f"'{name}': na ambitions[.jaar] volgt een van {', '.join(AMBITION_CHOICE_TERMS)}"
    if name in INDICATOR_CHOICE_FIELDS:
        return None
    hint = difflib.get_close_matches(name, list(INDICATOR_CHOICE_FIELDS) + ["ambitions.tolerance"], n=1)
    return f"'{name}' is geen veld van de indicator" + (f"; bedoelde u '{hint[0]}'?" if hint else "")


def _budget_choice_problem(name: str) -> str | None:
    """Return why `name` is not a field of a budget row a choice can name, or None."""
    if name in BUDGET_CHOICE_FIELDS:
        return None
    hint = difflib.get_close_matches(name, list(BUDGET_CHOICE_FIELDS), n=1)
    return f"'{name}' is geen veld van een budgetjaar" + (f"; bedoelde u '{hint[0]}'?" if hint else "")


def choice_label(name: str) -> str:
    """Return the Dutch words for the field a choice names ("ambitie 2022: soort"); unknown fields as written."""
    if name in INDICATOR_CHOICE_FIELDS:
        return INDICATOR_CHOICE_FIELDS[name]
    if name in BUDGET_CHOICE_FIELDS:
        return BUDGET_CHOICE_FIELDS[name]
    parts = name.split(".")
    if parts[0] != "ambitions":
        return name
    rest = parts[1:]
    head = f"ambitie {rest.pop(0)}" if rest and rest[0].isdigit() else "ambities"
    if not rest:
        return head
    if len(rest) == 1 and rest[0] in AMBITION_CHOICE_TERMS:
        return f"{head}: {AMBITION_CHOICE_TERMS[rest[0]]}"
    return name


# What a load sets (domain.md, "The agenda changes over time"). Each setting of a normalised
# agenda has a label that names it in Dutch, as the loader's conflict messages show it. The
# loader remembers the labels and values of each load (AgendaLoad), reads the database's
# current agenda through the same labels (agenda.selectors.agenda_spec), and so tells which
# values the application changed after the file's previous load.


def plain(value):
    """Return `value` in the plain form a load remembers (JSON): decimals as exact text."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def colleges_label(indicator: str, year: int | None = None) -> str:
    """Return the label of an indicator's college list (own list, or the revision from `year`)."""
    return f"indicator {indicator}: colleges" + (f" vanaf {year}" if year is not None else "")


def baseline_label(indicator: str, year: int) -> str:
    """Return the label of an indicator's baseline revision from `year`."""
    return f"indicator {indicator}: baseline vanaf {year}"


def share_label(theme: str, year: int) -> str:
    """Return the label of a theme's budget share revision from `year`."""
    return f"thema {theme}: budget_share_pct vanaf {year}"


# Optional settings (contracts-extensions.md section 8) that a load remembers only when the file
# gives them, so that a database loaded before they existed does not see a conflict in them.
OPTIONAL_SETTINGS = ("definition", "source", "choices")
# The same for an indicator's breakdowns and composite (issue 18); these are not plain fields.
OPTIONAL_STRUCTURES = ("breakdowns", "composite")


def removable(label: str) -> bool:
    """Return whether leaving the setting out of the file removes it: a college list, a revision, an optional setting."""
    key = label.rpartition(": ")[2]
    return label.endswith(": colleges") or " vanaf " in key or key in OPTIONAL_SETTINGS + OPTIONAL_STRUCTURES


def owner_label(label: str) -> str:
    """Return the label of a setting that every row has, of the row `label` belongs to ("indicator 2b: name")."""
    row = label.partition(": ")[0]
    return row + (": total_eur" if row.startswith("budget ") else ": name")


def ambition_value(ambition: dict) -> dict:
    """Return the terms of an ambition that the loader compares (the reason is not one)."""
    return {k: ambition[k] for k in ("type", "target", "tolerance", "indicative")}


def spec_state(spec: dict) -> dict[str, object]:
    """Return every setting of a normalised agenda as {label: plain value}."""
    state: dict[str, object] = {}

    def put(label: str, value) -> None:
        state[label] = plain(value)

    put("instelling: name", spec["institution"]["name"])
    put("instelling: period", [spec["period"]["start"], spec["period"]["end"]])
    for college in spec["colleges"]:
        put(f"college {college['code']}: name", college["name"])
        put(f"college {college['code']}: active", college["active"])
        for team in college["teams"]:
            for key in ("name", "active_from", "active_until"):
                put(f"team {team['code']}: {key}", team[key])
    for theme in spec["themes"]:
        label = f"thema {theme['code']}"
        for key in ("name", "national", "budget_share_pct", "ambition", "goals"):
            put(f"{label}: {key}", theme[key])
        funds = sorted(theme["additional_funds"], key=lambda f: (f["source"], f["year"] or 0))
        put(
            f"{label}: additional_funds",
            [[f["source"], f["year"], Decimal(f["amount_cents"]) / 100, f["note"]] for f in funds],
        )
        for revision in theme["revisions"]:
            put(share_label(theme["code"], revision["from"]), revision["budget_share_pct"])
        for ind in theme["indicators"]:
            label = f"indicator {ind['code']}"
            put(f"{label}: theme", theme["code"])
            for key in ("name", "unit", "polarity", "levels", "description"):
                put(f"{label}: {key}", ind[key])
            for key in OPTIONAL_SETTINGS:
                if ind[key]:
                    put(f"{label}: {key}", _choice_pairs(ind[key]) if key == "choices" else ind[key])
            if ind.get("breakdowns"):
                # Sorted by dimension: PostgreSQL's jsonb keeps its own key order, and an order the
                # file did not choose must not read as a change made in the application.
                put(f"{label}: breakdowns", [[d, groups] for d, groups in sorted(ind["breakdowns"].items())])
            if ind.get("composite"):
                put(f"{label}: composite", composite_value(ind["composite"]))
            put(f"{label}: baseline", [ind["baseline_year"], ind["baseline_value"]])
            if ind["colleges"] is not None:
                put(colleges_label(ind["code"]), ind["colleges"])
            for revision in ind["revisions"]:
                if revision["colleges"] is not None:
                    put(colleges_label(ind["code"], revision["from"]), revision["colleges"])
                if revision["baseline_year"] is not None:
                    put(
                        baseline_label(ind["code"], revision["from"]),
                        [revision["baseline_year"], revision["baseline_value"]],
                    )
            for ambition in ind["ambitions"]:
                put(f"{label}: ambitie {ambition['year']}", ambition_value(ambition))
            put(f"{label}: factors", [[f["name"], f["effect"], f["description"]] for f in ind["factors"]])
    for entry in spec["budget"]:
        label = f"budget {entry['year']}"
        put(f"{label}: total_eur", Decimal(entry["total_cents"]) / 100)
        put(f"{label}: result_dependent_pct", entry["result_dependent_pct"])
        put(f"{label}: central_pct", entry["central_pct"])
        if entry["choices"]:
            put(f"{label}: choices", _choice_pairs(entry["choices"]))
    return state


def composite_value(composite: dict) -> list:
    """Return a composite as a load remembers and compares it: [weight_by_n, [[code, weight], ...]]."""
    return [composite["weight_by_n"], [[entry["indicator"], entry["weight"]] for entry in composite["components"]]]


def _choice_pairs(choices: list[dict]) -> list[list[str]]:
    """Return choices as [field, reason] pairs, as a load remembers and compares them."""
    return [[choice["field"], choice["reason"]] for choice in choices]
