"""What a page showed its user of a versioned record (maatregelen.versions), so a post compares with what was seen.

Each edit page carries the version it showed in a hidden field. This session also remembers the
last few versions it showed per record, so a post that leaves out the hidden field (a client that
drops hidden fields) is still compared with what its user saw instead of overwriting blindly.
"""

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
