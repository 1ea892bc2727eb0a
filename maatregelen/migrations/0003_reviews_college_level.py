"""Existing Q-gesprekken become college-level ones; their free-text agreements become open action items.

Its own migration (and transaction): on PostgreSQL, rows updated here leave deferred foreign-key
checks pending, and the next migration alters the same table (issue 15, item 4).
"""

from django.db import migrations


def reviews_to_college_level(apps, schema_editor):
    """Make every existing Q-gesprek a college-level one of its college's institution.

    Their free-text agreements become one open action item per line, so the next conversation
    can follow them up; the text is then cleared, so nothing is shown twice and nothing is lost.
    """
    Review = apps.get_model("maatregelen", "Review")
    ActionItem = apps.get_model("maatregelen", "ActionItem")
    for review in Review.objects.select_related("college").iterator():
        review.institution_id = review.college.institution_id
        review.level = "college"
        lines = [line.strip(" -*\t") for line in review.actions.splitlines()]
        for line in filter(None, lines):
            ActionItem.objects.create(review=review, description=line, status="open", created_by=review.created_by)
        review.actions = ""
        review.save(update_fields=["institution", "level", "actions"])


def reviews_back(apps, schema_editor):
    """Put action items back into the free text of their college-level review; drop the other levels."""
    Review = apps.get_model("maatregelen", "Review")
    for review in Review.objects.filter(level="college"):
        lines = [item.description for item in review.action_items.order_by("pk")]
        if lines:
            review.actions = "\n".join(filter(None, [review.actions, *lines]))
            review.save(update_fields=["actions"])
    Review.objects.exclude(level="college").delete()


class Migration(migrations.Migration):
    dependencies = [("maatregelen", "0002_q_cycle")]

    operations = [migrations.RunPython(reviews_to_college_level, reviews_back)]
