"""What a refused write and a busy database are, for every layer and channel.

A service raises a Refusal subclass with its Dutch problems; pages show the messages, and the
API's one exception handler (agenda/api/common.py) answers with the refusal's own status and
body (contracts.md section 4: 409 for a locked year, 412 for a stale If-Match, 403 for a
protected baseline, 400 otherwise). A SQLite write lock that outlasts its timeout is a clear
"try again" (503), never a 500 (issue 12).
"""

from django.db import OperationalError

BUSY_MESSAGE = (
    "De database is even bezig met een andere opslag. Er is niets opgeslagen; "
    "probeer het over een paar seconden opnieuw."
)


def is_busy(exc: Exception) -> bool:
    """Return whether an OperationalError is SQLite's write lock timing out."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


class Refusal(Exception):
    """A write a service refused as a whole; the subclass knows its HTTP status and API body."""

    http_status = 400

    def api_body(self) -> dict:
        """Return the API's answer body (a summary in Dutch)."""
        return {"detail": str(self)}
