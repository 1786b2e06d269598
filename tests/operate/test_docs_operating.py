"""docs/operating.md: its code samples run as written, its probe command is real."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "operating.md"


def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_the_samples_run_in_order_and_report_what_they_say() -> None:
    blocks = re.findall(r"^```python\n(.*?)^```", page(), flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 2
    namespace: dict[str, object] = {}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"docs/operating.md (python block {number})", "exec"), namespace)
    decisions = namespace["decisions"]
    # explain() reported nothing; the one in-process request of sample 2 did.
    assert [(d.kind, d.report) for d in decisions] == [  # type: ignore[attr-defined]
        ("preflight", "would_allow")
    ]


def test_the_probe_command_lists_only_real_options() -> None:
    [block] = re.findall(r"^```bash\n(.*?)^```", page(), flags=re.MULTILINE | re.DOTALL)
    help_text = subprocess.run(
        [sys.executable, "-m", "flask_edgecors", "probe", "--help"],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout
    known = set(re.findall(r"(--[a-z-]+)", help_text))
    for option in re.findall(r"(--[a-z-]+)", block):
        assert option in known, option
