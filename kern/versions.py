"""What a writer saw of a record, so that a save based on an older read never undoes a newer one.

The rule lives here, in kern, for every app that writes records people edit side by side: each
app registers its models' versioned fields (FIELDS), names (NAMES) and the rest below
(maatregelen.versions: measures, evidence, Q-gesprekken, spending, the manifesto; agenda.services:
teams).

domain.md, "No lost updates": a write based on an older read that would overwrite a value changed
since is refused and names the newer value; the user decides. A record's version is one digest
per field (an edit page carries them in a hidden field, `token`) and one ETag over all of them
(the API's If-Match). The update services lock the row, read it afresh and compare, per field
they would write, what the writer saw, what is stored now and what the writer sends:

- only the writer changed it: written;
- only someone else changed it: the newer value stays (a page posts every field, also the ones
  its user never touched, as the grid leaves an untouched cell alone);
- both changed it, differently: the whole save is refused (StaleEdit), nothing is written, and
  the message names each such field with its newer value.

A field the writer says nothing about (an API PATCH without If-Match) is written as sent, as the
measurements API does; with a stale If-Match it counts as changed by both (412). A field the writer
does not send at all is never written: the services leave it as read under the lock (KEEP), never
as the caller read it earlier. A delete is refused the same way when the record changed since the
writer read it (a stale If-Match: 412; a confirmation page's version: 409).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.http import parse_etags

from kern.errors import Refusal
from kern.money import cents_to_euros

# Filled by each app for its own models (maatregelen.versions, agenda.services); the functions
# below read them, so an app registers by updating these dicts, never by rebinding them.
FIELDS: dict[type[Model], tuple[str, ...]] = {}  # the fields a page or the API may write: a change is a new version
NAMES: dict[type[Model], str] = {}  # how a message names the record: "De maatregel"
KEYS: dict[type[Model], str] = {}  # what makes a new record's key, for StaleEdit(existing=True)
PARTS: dict[type[Model], tuple[str, ...]] = {}  # the rows a delete takes along (on_delete CASCADE)
PART_NAMES: dict[str, tuple[str, str]] = {}  # a part's name in a message: one, more
LABELS: dict[str, str] = {}  # a field's name in a message where its verbose name says cents
PARTS_KEY = "parts"
UNSEEN = "?"  # never a digest: a field a page's token does not name counts as not seen
SHOWN_TEXT = 60  # characters of a long text quoted in a message


def _plain(value):
    """Return a value as JSON data that compares as stored: a row as its id, rows as sorted ids, text stripped."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(_plain(item) for item in value)
    if isinstance(value, str):
        # The services store text stripped; a browser posts a textarea's line breaks as CRLF (HTML
        # form submission), text from the API or a file has LF: the same text either way.
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _stored(record: Model, name: str):
    """Return a field's stored value: a relation as its id, a many-to-many as its ids read afresh (never a prefetch)."""
    model_field = record._meta.get_field(name)
    if model_field.many_to_many:
        return sorted(getattr(record, name).values_list("pk", flat=True))
    if model_field.is_relation:
        return getattr(record, model_field.attname)
    return getattr(record, name)


def value(record: Model, name: str):
    """Return a field's stored value as a form holds it once cleaned: a relation as its row(s)."""
    if record._meta.get_field(name).many_to_many:
        return getattr(record, name).all()
    return getattr(record, name)


def digest(value) -> str:
    """Return the digest of one field's value (stored, or as a writer sends it)."""
    text = json.dumps(_plain(value), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _parts(record: Model) -> dict[str, list[Model]]:
    """Return the rows a delete of the record takes along, per relation, read afresh (never a prefetch)."""
    return {
        name: list(getattr(record, name).model.objects.filter(**{record._meta.get_field(name).field.name: record}))
        for name in PARTS.get(type(record), ())
    }


def digests(record: Model) -> dict[str, str]:
    """Return the digest of every versioned field of the record as stored, and of its parts (PARTS)."""
    result = {name: digest(_stored(record, name)) for name in FIELDS[type(record)]}
    if type(record) in PARTS:
        rows = _parts(record)
        result[PARTS_KEY] = digest(
            {name: sorted([row.pk, digests(row)] for row in parts) for name, parts in rows.items()}
        )
    return result


def _names(model: type[Model]) -> tuple[str, ...]:
    """Return the names a version of the model has: its fields, and its parts when a delete takes rows along."""
    return FIELDS[model] + ((PARTS_KEY,) if model in PARTS else ())


def parts_line(record: Model) -> str:
    """Return a refused delete's line for parts changed since it was shown: what the delete would take along now."""
    counts = ", ".join(
        f"{len(rows)} {PART_NAMES[name][0 if len(rows) == 1 else 1]}" for name, rows in _parts(record).items()
    )
    return (
        f"Onderdelen: intussen vastgelegd, gewijzigd of verwijderd (nu {counts}); "
        "een verwijdering zou ze ongezien meenemen."
    )


def token(record: Model) -> str:
    """Return the version an edit page carries in its hidden field: the digest of every field."""
    return json.dumps(digests(record), sort_keys=True, separators=(",", ":"))


def etag(record: Model) -> str:
    """Return the record's ETag (strong): the API's If-Match compares it inside the write's row lock."""
    return f'"{hashlib.sha256(token(record).encode()).hexdigest()[:32]}"'


def etag_matches(header: str, record: Model) -> bool:
    """Return whether an If-Match header holds for the record (RFC 9110 13.1.1: '*' = it exists; weak tags never)."""
    tags = parse_etags(header)
    return tags == ["*"] or etag(record) in tags


@dataclass(frozen=True)
class Read:
    """What a writer saw: per-field digests (a page's token; the API's own read of what a PATCH leaves) and its If-Match."""

    fields: dict[str, str] = field(default_factory=dict)
    etag: str | None = None

    @classmethod
    def from_token(cls, text: str, model: type[Model]) -> "Read":
        """Return the read a page's token describes; an unreadable token saw nothing (every change then conflicts)."""
        data = loads(text)
        if not isinstance(data, dict):
            data = {}
        return cls({name: str(data.get(name, UNSEEN)) for name in _names(model)})

    @classmethod
    def nothing(cls, model: type[Model]) -> "Read":
        """Return the read of a page that offered a new record: it saw no stored one, so no stored value was seen."""
        return cls(dict.fromkeys(_names(model), UNSEEN))

    @property
    def saw_nothing(self) -> bool:
        """Return whether this read saw no stored record (Read.nothing, or a token it could not read)."""
        return self.etag is None and bool(self.fields) and all(read == UNSEEN for read in self.fields.values())

    @classmethod
    def of_request(cls, filled: dict, if_match: str | None) -> "Read":
        """Return the read of a write: the values a caller filled in from its own earlier read, and its If-Match.

        The API's views fill nothing (a field a PATCH leaves out is not written, so the service keeps
        it as locked); a caller that does fill values names them here, so that a change someone saved
        since its read is not written back.
        """
        return cls({name: digest(value) for name, value in filled.items()}, if_match or None)


def loads(text: str):
    """Return a version's JSON as sent back by a page, or {} when it is none: a tampered field reads as nothing seen.

    RecursionError: JSON nested a thousand levels deep (a field of two thousand brackets) is no
    ValueError; it must not be a 500.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return {}


def lock(record: Model) -> None:
    """Read the record afresh with its row locked until the transaction ends (SQLite: the write lock held from BEGIN)."""
    try:
        record.refresh_from_db(from_queryset=type(record).objects.select_for_update())
    except type(record).DoesNotExist:
        raise ValidationError(f"{NAMES[type(record)]} is intussen verwijderd; er is niets opgeslagen.") from None


def _who(record: Model) -> str:
    """Return who saved the record last, from its history ('' when unknown)."""
    last = record.history.order_by("-history_date", "-history_id").select_related("history_user").first()
    user = last.history_user if last else None
    return (user.get_full_name() or user.username) if user else ""


def label(model: type[Model], name: str) -> str:
    """Return a field's name in a message: 'Gepland budget', 'Eigenaar'."""
    text = LABELS.get(name) or str(model._meta.get_field(name).verbose_name)
    return text[:1].upper() + text[1:]


def shown(model: type[Model], name: str, value) -> str:
    """Return a value as a message shows it: a row by its name, money in euros, a choice in words, text quoted."""
    model_field = model._meta.get_field(name)
    plain = _plain(value)
    if plain in (None, "", []):
        return "leeg"
    if model_field.is_relation:
        ids = plain if isinstance(plain, list) else [plain]
        return ", ".join(sorted(str(row) for row in model_field.related_model.objects.filter(pk__in=ids)))
    if name.endswith("_cents"):
        return f"€ {cents_to_euros(plain)}"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(plain, plain))
    if isinstance(plain, bool):
        return "ja" if plain else "nee"
    if isinstance(plain, int):
        return str(plain)  # a year or a count, not text to quote
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    text = str(plain)
    return f"‘{text[:SHOWN_TEXT]}…’" if len(text) > SHOWN_TEXT else f"‘{text}’"


class StaleEdit(Refusal):
    """A save based on an older read that would overwrite a newer value: nothing is saved (409 on a page, 412 in the API).

    `record` is the record as stored now (read in the lock), `lines` name each field with its newer
    value and the writer's, and `pending` holds the writer's other changes, so a page can show the
    current record with them and the user decides. A refused delete (`deleting`) names each field
    changed since the writer's read with its value now; `conflicts` then only names the fields.
    A new record whose key a stored one already has (`existing`, a spending line added on the page
    that someone recorded meanwhile) names the stored one's values the same way. `lines` replaces
    the per-field lines where the change is not a field (rows a delete would take along).
    """

    def __init__(
        self,
        record: Model,
        conflicts: dict,
        pending: dict,
        *,
        http_status: int,
        deleting: bool = False,
        existing: bool = False,
        lines: list[str] | None = None,
    ):
        self.record, self.pending, self.http_status, self.deleting = record, pending, http_status, deleting
        model = type(record)
        who = _who(record)
        by = f" door {who}" if who else ""
        if deleting:
            self.summary = f"{NAMES[model]} is intussen gewijzigd{by}; er is niets verwijderd."
        elif existing:
            # A record added by a key a stored one can share (KEYS): a spending line, a check-in, a follow-up.
            self.summary = f"{NAMES[model]} {KEYS[model]} is intussen al vastgelegd{by}; er is niets opgeslagen."
        else:
            self.summary = f"{NAMES[model]} is intussen gewijzigd{by}; er is niets opgeslagen."
        self.fields = list(conflicts)
        self.lines = (
            [
                parts_line(record)
                if name == PARTS_KEY
                else f"{label(model, name)}: nu {shown(model, name, _stored(record, name))}."
                if deleting
                else f"{label(model, name)}: nu {shown(model, name, _stored(record, name))}; "
                f"uw waarde {shown(model, name, yours)} is niet opgeslagen."
                for name, yours in conflicts.items()
            ]
            if lines is None
            else lines
        )
        super().__init__(" ".join([self.summary, *self.lines]))

    def api_body(self) -> dict:
        """Return the API's answer: the summary and every field with its newer value (the view adds `current`)."""
        again = f"Haal {NAMES[type(self.record)].lower()} opnieuw op (GET) en stuur de nieuwe ETag mee als If-Match."
        return {
            "detail": f"{self} {again}",
            "fields": [{"field": name, "message": line} for name, line in zip(self.fields, self.lines, strict=True)],
        }


def reconcile(record: Model, changes: dict, seen: Read | None, *, existing: bool = False) -> dict:
    """Return the changes to write after comparing them with what the writer saw; raise StaleEdit on a conflict.

    Call it after lock(record): the comparison and the write then see no other save in between.
    `seen` None: the writer said nothing of what it read (a command, the demo): written as sent.
    `existing`: the writer meant a new record and found this one stored under its key (StaleEdit).
    """
    if seen is None:
        return dict(changes)
    stale_etag = seen.etag is not None and not etag_matches(seen.etag, record)
    write, conflicts = {}, {}
    for name, yours in changes.items():
        now, mine = digest(_stored(record, name)), digest(yours)
        read = seen.fields.get(name)
        if mine == now:
            write[name] = yours  # what is stored already: nothing is lost
        elif read is None:
            # The writer said nothing of this field: only a stale If-Match holds it back.
            if stale_etag:
                conflicts[name] = yours
            else:
                write[name] = yours
        elif read == now:
            write[name] = yours  # nobody else changed it
        elif read == mine:
            continue  # the writer left it as read and someone changed it since: the newer value stays
        else:
            conflicts[name] = yours
    if conflicts:
        raise StaleEdit(record, conflicts, write, http_status=412 if seen.etag is not None else 409, existing=existing)
    return write


def refuse_stale_delete(record: Model, seen: Read | None) -> None:
    """Raise StaleEdit when the record changed since the deleter read it; call it after lock(record).

    domain.md, "No lost updates": deleting a record someone changed since it was shown would throw
    away their change unseen. An API DELETE's If-Match that no longer holds is 412; a confirmation
    page's version (its token) that differs in any field is 409 and names each such field with its
    value now. `seen` None: the deleter said nothing of what it read (a command): deleted.
    """
    if seen is None:
        return
    if seen.etag is not None and not etag_matches(seen.etag, record):
        raise StaleEdit(record, {}, {}, http_status=412, deleting=True)
    now = digests(record)
    changed = {name: None for name, read in seen.fields.items() if read != now.get(name)}
    if changed:
        raise StaleEdit(record, changed, {}, http_status=412 if seen.etag is not None else 409, deleting=True)


def kept_newer(record: Model, seen: Read | None, changes: dict) -> list[str]:
    """Return, after a save, each field the writer left as read that someone else had changed: kept, with its value."""
    if seen is None:
        return []
    model = type(record)
    return [
        f"{label(model, name)} ({shown(model, name, _stored(record, name))})"
        for name, yours in changes.items()
        if name in seen.fields
        and digest(yours) == seen.fields[name]
        and digest(_stored(record, name)) != seen.fields[name]
    ]
