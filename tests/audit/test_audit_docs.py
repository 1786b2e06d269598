"""docs/audit.md lists exactly the audit's finding codes, with their levels and titles."""

from __future__ import annotations

import re
from pathlib import Path

from flask_edgecors.diagnose.audit.findings import FINDINGS, LEVELS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def test_the_findings_table_is_the_registered_one() -> None:
    text = PAGE.read_text(encoding="utf-8")
    block = text.split("<!-- audit-findings:start -->")[1].split("<!-- audit-findings:end -->")[0]
    rows = re.findall(r"^\| `(AU\d{3})` \| (\w+) \| (.+?) \|$", block, flags=re.MULTILINE)

    assert rows == [(code, kind.level, kind.title) for code, kind in FINDINGS.items()]


def test_codes_are_unique_well_formed_and_levelled() -> None:
    assert all(re.fullmatch(r"AU\d{3}", code) for code in FINDINGS)
    assert len({kind.title for kind in FINDINGS.values()}) == len(FINDINGS)
    assert {kind.level for kind in FINDINGS.values()} == set(LEVELS)
