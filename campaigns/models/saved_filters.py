"""A person's saved filters of the activity list."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class SavedFilter(models.Model):
    """A named filter of the activity list, one user's: the list's query string, so opening
    it is opening the same URL. Written by ``saved_filter_create`` / ``saved_filter_delete``."""

    NAME_LENGTH = 100
    QUERY_LENGTH = 1000

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=NAME_LENGTH)
    query = models.CharField(max_length=QUERY_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
