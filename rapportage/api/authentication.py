"""Token authentication that reads the token, its user and the user's roles in one statement (issue 16).

DRF's TokenAuthentication reads the token and its user; every stored-result answer then reads
the user's memberships (the partner check, the institution, the read permission): two round
trips where one does. Under load every round trip to the database cost more than the rest of a
warm answer (bench/api_bench.py). And building that join through the ORM (three related models)
cost more CPU than the database spent on it: about 2 ms of a 5 ms answer. So the statement is
written out once per process from the models' own tables and columns, and its rows are made into
model instances as Django's raw() does (from_db, with the backend's converters). The memberships
are handed to agenda.permissions as the list it would have read itself; the rules stay there.
"""

import functools

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from agenda.models import Institution, Membership


@functools.cache
def _statement() -> tuple[str, list]:
    """Return the statement and, per model (token, user, membership, institution), its fields and converters."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    user_model = get_user_model()
    tables = [(Token, "t"), (user_model, "u"), (Membership, "m"), (Institution, "i")]
    columns, models = [], []
    for model, alias in tables:
        fields = list(model._meta.concrete_fields)
        columns += [f"{alias}.{quote(field.column)}" for field in fields]
        converters = [
            [
                (converter, col)
                for col in [field.get_col(alias)]
                for converter in connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            ]
            for field in fields
        ]
        models.append((model, fields, converters))

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(Token._meta.db_table)} t"
        f" JOIN {quote(user_model._meta.db_table)} u ON u.{column(user_model, 'id')} = t.{column(Token, 'user')}"
        f" LEFT JOIN {quote(Membership._meta.db_table)} m ON m.{column(Membership, 'user')} = u.{column(user_model, 'id')}"
        f" LEFT JOIN {quote(Institution._meta.db_table)} i"
        f" ON i.{column(Institution, 'id')} = m.{column(Membership, 'institution')}"
        f" WHERE t.{column(Token, 'key')} = %s ORDER BY m.{column(Membership, 'id')}"
    )
    return sql, models


def _instance(model, fields, converters, values, connection):
    """Return the model instance of one row's `values`, converted as the ORM converts them."""
    converted = []
    for value, field_converters in zip(values, converters, strict=True):
        for converter, expression in field_converters:
            value = converter(value, expression, connection)
        converted.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, [field.attname for field in fields], converted)


class TokenWithRolesAuthentication(TokenAuthentication):
    """`Authorization: Token KEY`, as DRF's TokenAuthentication, with the user's memberships read in the same statement."""

    def authenticate_credentials(self, key):
        """Return (user, token) for `key`, the user's memberships already read; refuse an unknown or inactive one."""
        sql, models = _statement()
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))  # DRF's own messages
        widths = [len(fields) for _, fields, _ in models]
        token = user = None
        memberships = []
        for row in rows:
            parts, start = [], 0
            for width in widths:
                parts.append(row[start : start + width])
                start += width
            if user is None:
                token = _instance(*models[0], parts[0], connection)
                user = _instance(*models[1], parts[1], connection)
                token.user = user
            if parts[2][0] is not None:  # LEFT JOIN: a user without a membership gives one row of NULLs
                membership = _instance(*models[2], parts[2], connection)
                membership.institution = _instance(*models[3], parts[3], connection)
                membership.user = user
                memberships.append(membership)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        user._memberships = memberships  # agenda.permissions.membership's per-request list
        return user, token
