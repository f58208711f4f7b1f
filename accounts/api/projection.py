"""List pages serialized from ``QuerySet.values()`` rows, in the shape an output serializer
declares.

DRF serializes a page by building a model instance per row and per related object, then calling
``get_attribute`` and ``to_representation`` field by field through nested serializers. For a
page of 50 activities with nine nested references that is most of the request (benchmark P1).
A ``Projection`` reads the serializer's declared fields once, selects exactly the columns they
need with ``values()``, and converts each value with the field's own ``to_representation``, so
the output is the serializer's, byte for byte (a test compares both on every kind of row), and
the serializer stays the one definition of the shape and of the OpenAPI schema.

Supported: plain fields, nested serializers (nullable ones are ``None`` when their key column
is), ``source="*"`` groups, and method fields given a ``Computed``. A ``many=True`` nested list
cannot come from one ``values()`` row and is refused when the projection is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers


@dataclass(frozen=True)
class Computed:
    """A method field: ``columns`` (relative to the serializer it belongs to) are read into a
    dict passed to ``function``, which returns the field's value."""

    columns: tuple[str, ...]
    function: Callable[[Mapping[str, Any]], Any]


Row = Mapping[str, Any]
_Getter = Callable[[Row], Any]

# Fields whose to_representation gives back a value of this type unchanged (str for text and
# choices, int for integers, bool): such values skip the call. Exact field types only: a
# subclass may convert differently.
_KEEPS = {
    serializers.CharField: str,
    serializers.ChoiceField: str,
    serializers.IntegerField: int,
    serializers.BooleanField: bool,
}


def _converter(field: serializers.Field) -> Callable[[Any], Any]:
    """How a column's value becomes the field's output."""
    kept = _KEEPS.get(type(field))
    convert = field.to_representation
    if kept is None:
        return convert
    if isinstance(field, serializers.ChoiceField):
        choices = field.choice_strings_to_values
        return lambda value: value if type(value) is kept and value in choices else convert(value)
    return lambda value: value if type(value) is kept else convert(value)


class Projection:
    """``serializer_class``'s output built from ``values()`` rows. ``computed`` maps
    (serializer class, field name) to how a method field is computed."""

    def __init__(
        self,
        serializer_class: type[serializers.Serializer],
        computed: Mapping[tuple[type[serializers.Serializer], str], Computed] | None = None,
    ) -> None:
        self.computed = dict(computed or {})
        self.columns: list[str] = []
        self._build = self._compile(serializer_class(), prefix="")

    def values(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` selecting exactly the columns the output needs (plus its annotations,
        which ``values()`` may name like columns)."""
        return queryset.values(*dict.fromkeys(self.columns))

    def render(self, rows: Iterable[Row]) -> list[dict[str, Any]]:
        build = self._build
        return [build(row) for row in rows]

    # --- compiling the serializer into getters ---------------------------------------------

    def _column(self, path: str) -> str:
        self.columns.append(path)
        return path

    def _compile(self, serializer: serializers.Serializer, prefix: str) -> _Getter:
        getters: list[tuple[str, _Getter]] = []
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            getters.append((name, self._field(type(serializer), name, field, prefix)))

        def build(row: Row) -> dict[str, Any]:
            return {name: get(row) for name, get in getters}

        return build

    def _field(
        self, owner: type[serializers.Serializer], name: str, field: Any, prefix: str
    ) -> _Getter:
        if (owner, name) in self.computed:
            return self._computed(self.computed[(owner, name)], prefix)
        if isinstance(field, serializers.ListSerializer):
            raise TypeError(f"{owner.__name__}.{name}: a many=True list cannot be projected")
        if isinstance(field, serializers.SerializerMethodField):
            raise TypeError(f"{owner.__name__}.{name}: a method field needs a Computed")
        source = "" if field.source == "*" else field.source.replace(".", "__")
        if isinstance(field, serializers.Serializer):
            inner = f"{prefix}{source}__" if source else prefix
            return self._nested(field, inner, prefix + source)
        column = self._column(prefix + source)
        convert = _converter(field)

        def get(row: Row) -> Any:
            value = row[column]
            return None if value is None else convert(value)

        return get

    def _nested(self, field: serializers.Serializer, prefix: str, key: str) -> _Getter:
        build = self._compile(field, prefix)
        if not field.allow_null:
            return build
        column = self._column(key)  # the relation's key: None when there is no related row

        def get(row: Row) -> Any:
            return None if row[column] is None else build(row)

        return get

    def _computed(self, computed: Computed, prefix: str) -> _Getter:
        pairs = [(name, self._column(prefix + name)) for name in computed.columns]
        function = computed.function

        def get(row: Row) -> Any:
            return function({name: row[column] for name, column in pairs})

        return get
