"""What a page showed its user of a versioned record (maatregelen.versions), so a post compares with what was seen.

Each edit page carries the version it showed in a hidden field. This session also remembers the
last few versions it showed per record, so a post that leaves out the hidden field (a client that
drops hidden fields) is still compared with what its user saw instead of overwriting blindly.
"""

import json

from django.contrib import messages

from maatregelen import versions

READ_KEY = "maatregelen_gelezen"
READ_REMEMBERED = 20  # the last few records are enough


def _read_key(record) -> str:
    """Return the session's key of a record: 'measure:12'."""
    return f"{record._meta.model_name}:{record.pk}"


def remember(request, record) -> str:
    """Note in the session that this user now saw the record as stored; return its version."""
    shown = versions.token(record)
    read = {k: v for k, v in request.session.get(READ_KEY, {}).items() if k != _read_key(record)}
    read[_read_key(record)] = shown
    request.session[READ_KEY] = dict(list(read.items())[-READ_REMEMBERED:])
    return shown


def seen(request, record, shown: str) -> versions.Read | None:
    """Return what the writer saw: the page's hidden version, else this session's last view of the record.

    None (no comparison) only for a post whose user never opened the record's page, as the grid
    treats a cell without its original.
    """
    shown = shown or request.session.get(READ_KEY, {}).get(_read_key(record), "")
    return versions.Read.from_token(shown, type(record)) if shown else None


def edit_initial(request, form_class, record) -> dict:
    """Return an edit form's initial data for the record as stored, with its version (remembered for this session)."""
    return {**form_class.initial_for(record), "version": remember(request, record)}


def stale_initial(request, form_class, stale: versions.StaleEdit) -> dict:
    """Return the form's data after a refused save: the record as stored now with the user's other changes.

    Its version is the current one, so saving again (after the user chose) compares with what is shown.
    """
    return {**form_class.initial_for(stale.record), **stale.pending, "version": remember(request, stale.record)}


def note_saved(request, saved, seen: versions.Read | None, sent: dict) -> None:
    """After a save: remember the record as now stored, and name each newer value of someone else that was kept."""
    remember(request, saved)
    kept = versions.kept_newer(saved, seen, sent)
    if kept:
        messages.info(request, "Intussen door een ander gewijzigd en behouden: " + "; ".join(kept) + ".")


# A form that offered a new record saw none: its version says so (versions.Read.from_token reads
# it as Read.nothing), so a record stored meanwhile under the same key is named, not replaced.
NOTHING = "{}"


def shown(record) -> str:
    """Return the version a form carries of the record it shows, or NOTHING when it shows none."""
    return versions.token(record) if record is not None else NOTHING


def read(version: str, model) -> versions.Read:
    """Return what a form's version says its user saw; a post without one saw nothing (Read.nothing).

    These forms are new on every page (a follow-up, a check-in, a delete button): a post that
    drops its hidden field is compared as if it saw no stored record, never written blindly.
    """
    return versions.Read.from_token(version, model) if version else versions.Read.nothing(model)


def listed(records, key) -> str:
    """Return one version for the records a page lists, per key (a check-in per indicator): JSON."""
    return json.dumps({str(key(record)): versions.token(record) for record in records}, sort_keys=True)


def read_listed(version: str, key, model) -> versions.Read:
    """Return what the list's version says its user saw of the record under `key` (Read.nothing: none listed).

    A post without the list's version saw nothing either (as `read`).
    """
    entries = versions.loads(version) if version else {}
    entry = entries.get(str(key)) if isinstance(entries, dict) else None
    return versions.Read.from_token(entry, model) if isinstance(entry, str) else versions.Read.nothing(model)
