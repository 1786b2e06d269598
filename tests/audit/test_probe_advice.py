"""``edgecors probe ... --file policy.toml``: when the answer has no CORS header at all, the
advice says whether the URL is a service behind a gateway or must answer CORS itself."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from flask_edgecors.cli import main
from tests.audit.fleet import SPA

if TYPE_CHECKING:
    from pathlib import Path


def urls(path: Path) -> dict[str, str]:
    """service -> its stage URL."""
    text = path.read_text(encoding="utf-8")
    return dict(re.findall(r'\[services\.(\w+)\].*?"stage" = "(http://[^"]+)"', text, re.DOTALL))


def probe(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(["probe", *argv, "--timeout", "5"])
    out = capsys.readouterr().out
    return code, [line[len("  advice: "):] for line in out.splitlines()
                  if line.startswith("  advice: ")]


@pytest.mark.server
def test_a_service_behind_the_gateway_is_sent_to_the_gateway(
    clean_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = urls(clean_fleet)

    code, advice = probe(capsys, where["orders"] + "/orders/7?x=1", "--origin", SPA["stage"],
                         "--file", str(clean_fleet))

    assert code == 1
    assert advice == [
        f"{where['orders']}/orders/7?x=1 is the service 'orders', behind the gateway 'gateway' "
        f"({clean_fleet}, environment stage): browsers must not call it directly; call "
        f"{where['gateway']}/orders/7?x=1 instead"]


@pytest.mark.server
def test_a_gateway_without_the_origin_is_told_to_allow_it(
    clean_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = urls(clean_fleet)

    code, advice = probe(capsys, where["gateway"] + "/orders", "--origin",
                         "https://partner.example", "--file", str(clean_fleet), "--env", "stage")

    assert code == 1
    assert advice == [
        f"{where['gateway']}/orders is the gateway 'gateway' ({clean_fleet}, environment "
        "stage), so it must answer CORS: add `https://partner.example` to allow_origins of the "
        "policy 'spa' for this path"]


@pytest.mark.server
def test_without_a_file_both_readings_are_given(
    clean_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = urls(clean_fleet)["orders"] + "/orders"

    _, advice = probe(capsys, url, "--origin", SPA["stage"])

    assert [line.split(" is ")[0] for line in advice] == [f"if {url}", f"if {url}"]
    assert "call it through the gateway" in advice[0]
    assert f"give this path a CORS policy that allows `{SPA['stage']}`" in advice[1]


@pytest.mark.server
def test_an_answer_with_cors_headers_gets_no_advice(
    clean_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, advice = probe(capsys, urls(clean_fleet)["gateway"] + "/orders", "--origin",
                         SPA["stage"], "--credentials", "--file", str(clean_fleet))

    assert code == 0
    assert advice == []


@pytest.mark.server
def test_json_carries_the_advice(clean_fleet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["probe", urls(clean_fleet)["orders"] + "/orders", "--origin", SPA["stage"],
          "--file", str(clean_fleet), "--json", "--timeout", "5"])

    report = json.loads(capsys.readouterr().out)

    assert report["allowed"] is False
    assert report["advice"][0].endswith("/orders instead")


@pytest.mark.server
def test_a_gateway_that_does_not_run_the_file_is_sent_to_the_audit(
    planted_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = planted_fleet.read_text(encoding="utf-8")
    gateway = re.search(r'\[services\.gateway\].*?"prod" = "(http://[^"]+)"', text, re.DOTALL)
    assert gateway is not None

    # The prod gateway lets preflights under /users through to the service: no CORS at all.
    code, advice = probe(capsys, gateway.group(1) + "/users", "--origin", SPA["prod"],
                         "--method", "PUT", "--file", str(planted_fleet))

    assert code == 1
    assert advice == [
        f"{gateway.group(1)}/users is the gateway 'gateway' ({planted_fleet}, environment prod), "
        f"so it must answer CORS, and the file's policy 'spa' allows `{SPA['prod']}` here: the "
        f"server does not run the file's policy; `edgecors audit --file {planted_fleet} --env "
        "prod` checks every endpoint"]


@pytest.mark.server
def test_an_unknown_environment_is_a_usage_error(
    clean_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["probe", "http://127.0.0.1:9/", "--origin", SPA["stage"],
                 "--file", str(clean_fleet), "--env", "qa"])

    assert code == 2
    assert "[EC027]" in capsys.readouterr().err
