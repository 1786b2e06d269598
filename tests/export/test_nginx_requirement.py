"""The nginx tests skip locally without nginx and fail in CI (CI=true) without it."""

from __future__ import annotations

import pytest

from tests.support import nginx


@pytest.mark.parametrize(("in_ci", "outcome"), [
    pytest.param(False, pytest.skip.Exception, id="locally-skip"),
    pytest.param(True, pytest.fail.Exception, id="in-ci-fail"),
])
def test_a_missing_nginx_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, in_ci: bool, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(nginx.shutil, "which", lambda name: None)
    monkeypatch.setattr(nginx, "IN_CI", in_ci)
    with pytest.raises(outcome, match=r"20-nginx\.sh"):
        nginx.require_nginx()
