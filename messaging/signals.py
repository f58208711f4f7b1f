"""Domain signals by which messaging tells higher apps about changes with consequences there.

They are sent inside the service's transaction; receivers run in it, so both commit together.
"""

from __future__ import annotations

from django.dispatch import Signal

# An evidence item became disputed or retracted. kwargs: evidence, actor, reason.
evidence_withdrawn = Signal()

# A message's dispatchable content (text or citations) changed. kwargs: message, actor, changes.
message_changed = Signal()
