"""The package metadata says what is true: its long description works on a package index, and
the versions it claims are the ones the version matrix (noxfile.py) tests.

The built archives themselves (pure wheel, complete sdist, twine check, no deprecation warning)
are checked by .ci/checks.d/70-package.sh.
"""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def metadata() -> configparser.SectionProxy:
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO / "setup.cfg", encoding="utf-8")
    return config["metadata"]


def noxfile_values() -> dict[str, ast.expr]:
    """The module-level assignments of noxfile.py, unevaluated (nox is not a test dependency)."""
    tree = ast.parse((REPO / "noxfile.py").read_text(encoding="utf-8"))
    return {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }


def test_the_long_description_links_only_to_absolute_urls() -> None:
    source = metadata()["long_description"]
    assert source.startswith("file:")
    text = "".join(
        (REPO / name.strip()).read_text(encoding="utf-8") for name in source[5:].split(",")
    )
    inline = re.findall(r"\]\(([^)\s]+)", text)
    reference = re.findall(r"^\[[^\]]+\]:\s*(\S+)", text, re.MULTILINE)
    html = re.findall(r"(?:href|src)=[\"']([^\"']+)", text)

    assert inline, "the scan found no link at all"
    relative = [t for t in inline + reference + html if not t.startswith("https://")]
    assert relative == [], "a package index shows these as broken links"


def test_the_metadata_has_no_placeholder_url() -> None:
    assert "example.invalid" not in (REPO / "setup.cfg").read_text(encoding="utf-8")


def test_the_classifiers_name_the_python_versions_the_matrix_tests() -> None:
    classifiers = metadata()["classifiers"]
    claimed = re.findall(r"Programming Language :: Python :: (3\.\d+)$", classifiers, re.MULTILINE)
    tested = ast.literal_eval(noxfile_values()["PYTHONS"])

    assert claimed == tested
    assert "python_requires = >=" + tested[0] in (REPO / "setup.cfg").read_text(encoding="utf-8")


def test_the_oldest_flask_of_the_matrix_is_the_floor_of_the_flask_extra() -> None:
    flasks = noxfile_values()["FLASKS"]
    assert isinstance(flasks, ast.List)
    oldest = ast.literal_eval(flasks.elts[0].args[0])  # type: ignore[attr-defined]
    extras = configparser.ConfigParser(interpolation=None)
    extras.read(REPO / "setup.cfg", encoding="utf-8")
    floors = extras["options.extras_require"]["flask"].split()

    assert floors  # flask>=X.Y, werkzeug>=X.Y: the matrix pins each to X.Y.*
    assert sorted(oldest) == sorted(floor.replace(">=", "~=") + ".0" for floor in floors)
