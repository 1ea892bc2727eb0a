"""The fixed value lists of indicatoren (imported by the models, forms, pages and API)."""

from django.db import models


class UploadStatus(models.TextChoices):
    PREVIEW = "preview", "voorbeeld (nog niet opgeslagen)"
    ACCEPTED = "accepted", "verwerkt"
    REJECTED = "rejected", "afgewezen"
    CANCELLED = "cancelled", "geannuleerd"


class SignoffState(models.TextChoices):
    OPEN = "open", "open"
    SUBMITTED = "submitted", "ingediend"
    APPROVED = "approved", "vastgesteld"
