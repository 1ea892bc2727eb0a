"""`prune_upload_files`: delete the kept files of rejected and cancelled uploads past their retention."""

from django.conf import settings
from django.core.management.base import BaseCommand

from invoer.uploads import upload_files_prune


class Command(BaseCommand):
    help = (
        "Verwijder de bewaarde bestanden van afgewezen en geannuleerde uploads ouder dan "
        "UPLOAD_REJECTED_RETENTION_DAYS dagen; de uploadrecords blijven bestaan. Beat doet dit elke nacht."
    )

    def handle(self, *args, **options):
        deleted = upload_files_prune()
        days = settings.UPLOAD_REJECTED_RETENTION_DAYS
        self.stdout.write(
            f"{deleted} bestand(en) van afgewezen of geannuleerde uploads ouder dan {days} dagen verwijderd."
        )
