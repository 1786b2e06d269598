"""Inspect the sdist and the wheel that .ci/checks.d/70-package.sh built.

    python .ci/package/check_archives.py SDIST.tar.gz WHEEL.whl

The project's files are what git knows (tracked, or new and not ignored), so build junk
(``__pycache__``, venvs, caches, ``build/``) is never among them.  The sdist must hold every
project file of the folders and top-level files below and nothing else but what setuptools
generates (``PKG-INFO``, ``*.egg-info/``); the wheel must be pure (``py3-none-any``, no
compiled file) and hold exactly the package's files plus its ``.dist-info``; the metadata must
carry the SPDX license expression and no placeholder.  Prints what it checked; exit 1 with
every problem listed otherwise.
"""

from __future__ import annotations

import email.parser
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

PACKAGE = "flask_edgecors"
SDIST_FOLDERS = (PACKAGE, "tests", "docs", "examples", "benchmarks", "scripts", ".ci")
SDIST_FILES = frozenset({
    "README.md", "LICENSE", "CHANGELOG.md", "SECURITY.md", "MANIFEST.in", "setup.cfg",
    "pyproject.toml", "mkdocs.yml", "noxfile.py",
})
COMPILED = (".so", ".pyd", ".dll", ".dylib", ".c", ".pyc", ".pyo")


def project_files() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        capture_output=True, check=True, text=True,
    ).stdout
    return {name for name in listed.split("\0") if name and Path(name).is_file()}


def sdist_problems(path: Path, files: set[str]) -> list[str]:
    with tarfile.open(path) as archive:
        members = [m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()]
    expected = {
        name for name in files
        if name in SDIST_FILES or name.startswith(tuple(f"{d}/" for d in SDIST_FOLDERS))
    }
    generated = {m for m in members if m == "PKG-INFO" or m.startswith(f"{PACKAGE}.egg-info/")}
    problems = [f"sdist lacks {name}" for name in sorted(expected - set(members))]
    problems += [
        f"sdist holds {name}, which is not a file of the project (build junk?)"
        for name in sorted(set(members) - expected - generated)
    ]
    print(f"sdist: {len(members)} files, {len(expected)} expected, {len(generated)} generated")
    return problems


def wheel_problems(path: Path, files: set[str]) -> list[str]:
    problems = []
    if not path.name.endswith("-py3-none-any.whl"):
        problems.append(f"the wheel is not pure: {path.name} (expected *-py3-none-any.whl)")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        [info] = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
        wheel = archive.read(f"{info}/WHEEL").decode()
        metadata = email.parser.Parser().parsestr(archive.read(f"{info}/METADATA").decode())
    for line in ("Root-Is-Purelib: true", "Tag: py3-none-any"):
        if line not in wheel.splitlines():
            problems.append(f"the wheel is not pure: WHEEL lacks {line!r}")
    problems += [f"the wheel holds compiled code: {n}" for n in names if n.endswith(COMPILED)]
    package = {n for n in names if not n.startswith(f"{info}/")}
    expected = {name for name in files if name.startswith(f"{PACKAGE}/")}
    problems += [f"wheel lacks {name}" for name in sorted(expected - package)]
    problems += [f"wheel holds {name}, not a package file" for name in sorted(package - expected)]
    if metadata["License-Expression"] != "MIT":
        problems.append(f"License-Expression is {metadata['License-Expression']!r}, not 'MIT'")
    classifiers = metadata.get_all("Classifier") or []
    problems += [f"deprecated license classifier {c!r}" for c in classifiers
                 if c.startswith("License ::")]
    if "example.invalid" in str(metadata):
        problems.append("the metadata holds a placeholder URL (example.invalid)")
    print(f"wheel: {path.name}, {len(package)} package files, {wheel.count('Tag:')} tag(s)")
    return problems


def main(sdist: str, wheel: str) -> int:
    files = project_files()
    problems = sdist_problems(Path(sdist), files) + wheel_problems(Path(wheel), files)
    for problem in problems:
        print(f"package: {problem}", file=sys.stderr)
    if not problems:
        print("package: sdist complete, wheel pure and complete, metadata as declared")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
