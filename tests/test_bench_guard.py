"""`make bench` fails when the plugin costs `tutor config save` more than the guard allows."""

from __future__ import annotations

import pytest

from benchmarks.run import GUARD, Counted, guard

BARE = 1_000_000_000


def counts(enabled: int) -> dict[str, dict[str, Counted]]:
    return {"lmsbridge": {"enabled": Counted(enabled, None), "bare": Counted(BARE, None)}}


@pytest.mark.parametrize(
    ("enabled", "status", "verdict"),
    [
        (BARE, 0, "instructions 1.000 (<= 1.10): ok"),
        (int(BARE * GUARD), 0, "instructions 1.100 (<= 1.10): ok"),
        (int(BARE * GUARD) + 1_000_000, 1, "instructions 1.101 (<= 1.10): FAILED"),
    ],
)
def test_the_guard_passes_up_to_its_ratio_and_fails_above(
    enabled: int, status: int, verdict: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert guard(counts(enabled)) == status
    assert capsys.readouterr().out.rstrip().endswith(verdict)


def test_without_instruction_counts_the_guard_is_not_passed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert guard(None) == 2
    assert "not checked" in capsys.readouterr().out
