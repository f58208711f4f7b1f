"""Every installation gets every country and the six seeded audiences."""

from django.db import migrations

from audiences.data.audiences import AUDIENCES
from audiences.data.countries import COUNTRIES


def seed(apps, schema_editor):
    Country = apps.get_model("audiences", "Country")
    Audience = apps.get_model("audiences", "Audience")
    Country.objects.bulk_create(
        [Country(code=code, name=name) for code, name in COUNTRIES], ignore_conflicts=True
    )
    by_code = {c.code: c for c in Country.objects.all()}
    for spec in AUDIENCES:
        audience, _ = Audience.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "languages": spec["languages"],
                "timezone": spec["timezone"],
                "description": spec["description"],
            },
        )
        audience.countries.set([by_code[code] for code in spec["countries"]])


class Migration(migrations.Migration):
    dependencies = [("audiences", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
