import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models
from django.db.models import F

from accounts import chain

# The canonical content as written by ``campaigns.models.event_chain_content`` (the function
# itself: a backfill that hashed a different form would make every old chain look broken).
from campaigns.models import event_chain_content

BATCH = 2000


def chain_existing_events(apps, schema_editor):
    """Chain every activity's existing events in key order (the order they were written in)."""
    event = apps.get_model("campaigns", "ActivityEvent")
    rows = (
        event.objects.annotate(activity_uuid=F("activity__uuid"))
        .order_by("activity_id", "pk")
        .iterator(chunk_size=BATCH)
    )
    current, prev, batch = None, chain.GENESIS, []
    for row in rows:
        if row.activity_id != current:
            current, prev = row.activity_id, chain.GENESIS
        row.prev_hash = prev
        row.hash = prev = chain.link(prev, event_chain_content(row, row.activity_uuid))
        batch.append(row)
        if len(batch) >= BATCH:
            event.objects.bulk_update(batch, ["prev_hash", "hash"])
            batch = []
    event.objects.bulk_update(batch, ["prev_hash", "hash"])


APPEND_ONLY = pgtrigger.compiler.Trigger(
    name="append_only",
    sql=pgtrigger.compiler.UpsertTriggerSql(
        func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
        hash="334d5b30fedc194bd1976110bc9fbe26a9576d49",
        operation="UPDATE OR DELETE",
        pgid="pgtrigger_append_only_1b838",
        table="campaigns_activityevent",
        when="BEFORE",
    ),
)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0012_frozen_citations_and_dispatch_payload"),
    ]

    operations = [
        migrations.AddField(
            model_name="activityevent",
            name="hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="activityevent",
            name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="activityevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        # The backfill writes the new columns of rows the append-only trigger protects: it is
        # removed for the backfill and put back unchanged (as 0007 does with the audit triggers).
        pgtrigger.migrations.RemoveTrigger(model_name="activityevent", name="append_only"),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        pgtrigger.migrations.AddTrigger(model_name="activityevent", trigger=APPEND_ONLY),
    ]
