"""``Record``: the core's immutable typed records (pure: no Tutor, no Jinja).

To mypy a Record is a ``typing.NamedTuple``. At run time it is built by ``_RecordMeta``
instead, into the same kind of class: a tuple subclass with read-only named fields, defaults,
``_fields``, ``_field_defaults``, ``_make``, ``_asdict``, ``_replace`` and the same repr,
equality, hashing, copying and pickling. Why: Tutor imports the plugin on every ``tutor``
call, ``config save`` included, and ``typing.NamedTuple`` compiles a constructor for each
class with ``eval`` and type-checks every annotation, about 0.1 ms a class. The metaclass
only reads the annotations' names (they stay unevaluated strings), so the core's thirty
records cost a tenth of that.
"""

from __future__ import annotations

from itertools import pairwise
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:

    def _constructor(name: str, fields: tuple[str, ...], defaults: dict[str, Any]) -> Any:
        """``__new__`` for a record: arguments as a NamedTuple's constructor takes them."""
        count = len(fields)

        def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
            given = len(args)
            if given == count and not kwargs:
                return tuple.__new__(cls, args)
            if given > count:
                raise TypeError(f"{name}() takes {count} arguments but {given} were given")
            try:
                rest = [kwargs.pop(f) if f in kwargs else defaults[f] for f in fields[given:]]
            except KeyError as missing:
                raise TypeError(f"{name}() missing required argument: {missing}") from None
            if kwargs:
                field = next(iter(kwargs))
                problem = "multiple values for" if field in fields else "an unexpected keyword"
                raise TypeError(f"{name}() got {problem} argument {field!r}")
            return tuple.__new__(cls, (*args, *rest))

        __new__.__qualname__ = f"{name}.__new__"
        return __new__

    class _RecordMeta(type):
        def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
            if not any(isinstance(base, _RecordMeta) for base in bases) or bases != (Record,):
                # Record itself, or a subclass of a record: as with NamedTuple, a plain class
                # that inherits the record's fields.
                return super().__new__(mcls, name, bases, namespace)
            fields = tuple(namespace.get("__annotations__", {}))
            defaults = {field: namespace[field] for field in fields if field in namespace}
            for field, following in pairwise(fields):
                if field in defaults and following not in defaults:
                    raise TypeError(
                        f"{name}: field {following!r} without a default follows one with a default"
                    )
            for field in fields:
                if field.startswith("_"):
                    raise TypeError(f"{name}: field names cannot start with '_': {field!r}")
            namespace.setdefault("__doc__", f"{name}({', '.join(fields)})")
            namespace.update(
                __slots__=(),
                _fields=fields,
                _field_defaults=defaults,
                __match_args__=fields,
                __new__=_constructor(name, fields, defaults),
            )
            for index, field in enumerate(fields):
                namespace[field] = property(itemgetter(index), doc=f"Field {index}: {field}")
            return super().__new__(mcls, name, bases, namespace)

    class Record(tuple, metaclass=_RecordMeta):
        __slots__ = ()

        @classmethod
        def _make(cls, iterable: Any) -> Any:
            values = tuple(iterable)
            if len(values) != len(cls._fields):
                raise TypeError(f"expected {len(cls._fields)} arguments, got {len(values)}")
            return tuple.__new__(cls, values)

        def _asdict(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

        def _replace(self, **changes: Any) -> Any:
            unknown = set(changes) - set(self._fields)
            if unknown:
                raise ValueError(f"got unexpected field names: {sorted(unknown)!r}")
            return self._make(
                changes.get(field, value) for field, value in zip(self._fields, self, strict=True)
            )

        def __repr__(self) -> str:
            items = ", ".join(
                f"{field}={value!r}" for field, value in zip(self._fields, self, strict=True)
            )
            return f"{type(self).__name__}({items})"

        def __getnewargs__(self) -> tuple[Any, ...]:
            return tuple(self)


__all__ = ["Record"]
