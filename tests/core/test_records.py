"""Record behaves as the typing.NamedTuple mypy sees: the same class declared both ways
gives the same results (values, errors, copies, serialisations)."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import pytest

from tutor_lmsbridge.core.records import Record


class AsNamedTuple(NamedTuple):
    name: str
    size: int
    tags: tuple[str, ...] = ()
    enabled: bool = True

    @property
    def label(self) -> str:
        return f"{self.name}:{self.size}"


class AsRecord(Record):
    name: str
    size: int
    tags: tuple[str, ...] = ()
    enabled: bool = True

    @property
    def label(self) -> str:
        return f"{self.name}:{self.size}"


# Module level, so that pickle finds the classes.
CLASSES = (AsNamedTuple, AsRecord)

CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a", 1), {}),
    (("a", 1, ("x",), False), {}),
    (("a",), {"size": 2}),
    ((), {"name": "a", "size": 3, "enabled": False}),
    ((), {"size": 3, "name": "a"}),
    (("a", 1), {"tags": ("y", "z")}),
]
BAD_CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    (("a",), {}),
    ((), {"size": 1}),
    (("a", 1, (), True, "extra"), {}),
    (("a", 1), {"name": "b"}),
    (("a", 1), {"colour": "red"}),
]


def outcome(action: Callable[[], Any]) -> Any:
    try:
        return ("value", action())
    except Exception as exc:
        return ("error", type(exc))


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_same_values_as_a_named_tuple(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    expected, got = (cls(*args, **kwargs) for cls in CLASSES)
    assert isinstance(got, tuple)
    assert tuple(got) == tuple(expected)
    assert got == expected  # tuple equality, as NamedTuples compare
    assert hash(got) == hash(expected)
    assert got._asdict() == expected._asdict()
    assert got.label == expected.label
    assert repr(got) == repr(expected).replace("AsNamedTuple", "AsRecord")
    assert json.dumps(got) == json.dumps(expected)
    assert got._replace(size=9) == expected._replace(size=9)
    assert type(got._replace(size=9)) is AsRecord
    assert AsRecord._make(tuple(expected)) == got
    pickled = pickle.loads(pickle.dumps(got))  # noqa: S301 (our own bytes)
    for clone in (copy.copy(got), copy.deepcopy(got), pickled):
        assert type(clone) is AsRecord
        assert clone == got


@pytest.mark.parametrize(("args", "kwargs"), BAD_CALLS)
def test_same_errors_as_a_named_tuple(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    expected, got = (outcome(partial(cls, *args, **kwargs)) for cls in CLASSES)
    assert got == expected == ("error", TypeError)


def test_class_attributes_match() -> None:
    assert AsRecord._fields == AsNamedTuple._fields
    assert AsRecord._field_defaults == AsNamedTuple._field_defaults
    assert AsRecord.__match_args__ == AsNamedTuple.__match_args__
    record = AsRecord("a", 1)
    with pytest.raises(AttributeError):
        record.name = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        record.other = 1  # type: ignore[attr-defined]
    unknown_field: dict[str, Any] = {"zz": 1}
    assert outcome(lambda: record._replace(**unknown_field)) == ("error", ValueError)
    assert outcome(lambda: AsNamedTuple("a", 1)._replace(**unknown_field)) == ("error", ValueError)
    assert outcome(lambda: AsRecord._make(("a",))) == ("error", TypeError)
    assert outcome(lambda: AsNamedTuple._make(("a",))) == ("error", TypeError)


class NamedTupleWithMore(AsNamedTuple):
    def shout(self) -> str:
        return self.name.upper()


class RecordWithMore(AsRecord):
    def shout(self) -> str:
        return self.name.upper()


def test_subclasses_inherit_the_fields() -> None:
    """As another plugin may extend a preset's class."""
    expected, got = NamedTupleWithMore("a", 1), RecordWithMore("a", 1)
    assert isinstance(got, AsRecord)
    assert tuple(got) == tuple(expected)
    assert got.shout() == expected.shout() == "A"
    assert got._fields == expected._fields
    assert got._asdict() == expected._asdict()
    assert type(got._replace(size=2)) is RecordWithMore
    assert AsRecord.__doc__ == str(AsNamedTuple.__doc__).replace("AsNamedTuple", "AsRecord")


def test_misdeclared_records_are_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows"):

        class Misordered(Record):
            first: int = 0
            second: int  # type: ignore[misc]

    with pytest.raises(TypeError, match="cannot start with '_'"):

        class Private(Record):
            _hidden: int  # type: ignore[misc]
