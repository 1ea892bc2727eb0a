"""The one lock that serialises every write of an institution's data: values, sign-offs and its teams (issues 8, 12).

It lives in agenda, the lowest app that writes under it: a team ended or deleted while a value of
it is saved, or while its year is approved, must wait for that write to commit and then check
again (domain.md, "Sign-off and locking"; "Teams change over time"). indicatoren re-exports it.
"""

from django.db import connection

DATA_LOCK_NAMESPACE = 7419  # an arbitrary constant: the first key of our advisory locks


def lock_institution_data(institution) -> None:
    """Serialise writes of an institution's data until the transaction ends (issues 8 and 12).

    Two writers must end as if they ran one after the other: every check that compares with
    stored values (conflicts, locks, plausibility, a team's data) runs after this call, so no
    other writer changes a value between the check and the write. An advisory lock, not the
    institution row: writers must not wait for a running recompute.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DATA_LOCK_NAMESPACE, institution.pk])
    # SQLite serialises writers by itself: settings open every transaction IMMEDIATE, so a
    # writer holds the write lock from BEGIN and its checks see no half-done other write.
