"""The fuzz harness (fuzz_parsers.py) runs under pytest too: its seeds and Hypothesis bytes.

The coverage-guided run itself is `.ci/checks.d/40-fuzz.sh` (atheris, bounded in time); this
keeps the harness and its invariants working between fuzz runs.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .fuzz_parsers import SEEDS, check_one


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed{i}") for i, s in enumerate(SEEDS)])
def test_fuzz_seeds_satisfy_the_invariants(seed: bytes) -> None:
    """[property] Each seed input passes every invariant of the fuzz harness.
    Source: Fetch standard, "CORS protocol"; RFC 9110 §5.5 (field values).
    """
    check_one(seed)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_invariants_hold_for_generated_bytes(data: bytes) -> None:
    """[property] Random bytes through every fuzz target keep the invariants.
    Source: Fetch standard, "CORS protocol"; RFC 9110 §5.5; CWE-20 (input validation).
    """
    check_one(data)


def test_invariant_violation_is_reported_as_an_assertion() -> None:
    """[property] The harness really checks: a reflected bad origin would fail the checker.
    Source: Kettle 2016 (origin reflection).
    """
    from . import fuzz_parsers

    with pytest.raises(AssertionError):
        fuzz_parsers._check_headers([("Access-Control-Allow-Origin", "https://a\r\nX: y")])
