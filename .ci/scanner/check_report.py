"""Judge a CORScanner JSON report (its exit status is always 0, so the report is the verdict).

* every target received the scan (request counts written by targets.py), so "no finding" can
  never come from a scan that did not connect;
* the strict configuration (over https and http): zero findings;
* the subdomain wildcard: exactly CORScanner's ``trust_any_subdomain`` finding (every earlier
  check in its fixed order passed; a wildcard trusts every subdomain, by design — SECURITY.md);
* the deliberately broken fixture: at least one finding, with credentials (proves the scanner
  really ran and reads responses).

Usage: python check_report.py REPORT.json PORTS.json
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from typing import Any


def _load(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def main(report_path: str, ports_path: str) -> int:
    urls: dict[str, str] = _load(ports_path)
    hits: dict[str, dict[str, int]] = _load(ports_path + ".hits")
    findings: list[dict[str, str]] = _load(report_path)
    by_url: dict[str, list[dict[str, str]]] = defaultdict(list)
    for item in findings:
        by_url[item["url"]].append(item)
    problems: list[str] = []
    for name, url in urls.items():
        got = by_url.get(url, [])
        types = sorted({item["type"] for item in got})
        count = hits.get(name, {}).get("requests", 0)
        print(f"{name:15} {url:50} requests={count:3} findings={types}")
        if count < 1:
            problems.append(f"{name}: the scanner never reached {url}")
        if name.startswith("strict") and got:
            problems.append(f"{name}: expected no finding, got {got}")
        if name.startswith("strict") and count < 30:
            problems.append(f"{name}: only {count} requests, the scan did not run every check")
        if name.startswith("wildcard") and types != ["trust_any_subdomain"]:
            problems.append(f"{name}: expected only trust_any_subdomain, got {got}")
        if name.startswith("broken") and not any(i.get("credentials") == "true" for i in got):
            problems.append(f"{name}: the broken fixture was not flagged: {got}")
    for problem in problems:
        print("FAIL:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
