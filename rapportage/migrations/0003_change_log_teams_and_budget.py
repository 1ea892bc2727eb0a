"""The change log of "Wat is er veranderd" (issue 15, item 3): team contributions and budget amounts that moved."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0006_constraint_messages"),
        ("rapportage", "0002_payload_numbers_keep_every_digit"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContributionChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="jaar")),
                ("old", models.CharField(max_length=20, verbose_name="was")),
                ("new", models.CharField(max_length=20, verbose_name="wordt")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="vastgesteld op")),
                (
                    "indicator",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="agenda.indicator"
                    ),
                ),
                (
                    "institution",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contribution_changes",
                        to="agenda.institution",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="contribution_changes",
                        to="rapportage.recomputerun",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="agenda.team"),
                ),
            ],
            options={
                "verbose_name": "gewijzigde teambijdrage",
                "verbose_name_plural": "gewijzigde teambijdragen",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="BudgetChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="jaar")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("released", "vrijgegeven"),
                            ("reserved", "gereserveerd"),
                            ("released_from_reserve", "vrijgegeven uit reserve"),
                        ],
                        max_length=25,
                        verbose_name="bedrag",
                    ),
                ),
                ("old_cents", models.BigIntegerField(verbose_name="was (cent)")),
                ("new_cents", models.BigIntegerField(verbose_name="wordt (cent)")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="vastgesteld op")),
                (
                    "institution",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="budget_changes",
                        to="agenda.institution",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="budget_changes",
                        to="rapportage.recomputerun",
                    ),
                ),
                (
                    "theme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="agenda.theme",
                        verbose_name="thema",
                    ),
                ),
            ],
            options={
                "verbose_name": "gewijzigd budgetbedrag",
                "verbose_name_plural": "gewijzigde budgetbedragen",
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
