"""Domain signals by which audiences tells higher apps about changes with consequences there.

Sent inside the service's transaction; receivers run in it, so both commit together.
"""

from __future__ import annotations

from django.dispatch import Signal

# Where a channel delivers changed (recipients, URL, officer, kind). kwargs: channel, actor,
# changes. Activities approved for the old destination must be reviewed again.
channel_changed = Signal()
