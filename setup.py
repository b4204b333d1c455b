"""Build hook: put ``resources/`` and ``translations/`` inside the package, with the ``.qm``
catalogues compiled at build time.

The repository keeps both folders at its top (DESIGN.md); ``package-dir`` maps them to the
packages ``anchordesk.resources`` and ``anchordesk.translations`` so that the program finds
them through ``importlib.resources`` alike in a checkout (the editable install maps the
package to the folder), an installed wheel and the frozen app. Everything else about the
build is declared in pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import find_namespace_packages, find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA_PACKAGES = {"anchordesk.resources": "resources", "anchordesk.translations": "translations"}


def _data_packages() -> list[str]:
    # Each folder of data is listed as a package so setuptools copies it without warning that
    # "shows", "en", "images"... look importable but are not listed.
    packages = []
    for package, folder in DATA_PACKAGES.items():
        packages.append(package)
        packages += [f"{package}.{sub}" for sub in find_namespace_packages(str(ROOT / folder))]
    return packages


def _lrelease() -> list[str]:
    """Qt's lrelease from the PySide6 in the build environment (pyproject's build requires)."""
    import PySide6  # a build requirement, not imported by anything else here

    for name in ("lrelease", "lrelease.exe"):
        binary = Path(PySide6.__file__).parent / name
        if binary.is_file():
            return [str(binary)]
    found = shutil.which("pyside6-lrelease")
    if found:
        return [found]
    raise RuntimeError("lrelease not found in the build environment's PySide6")


def compile_translations(out_dir: Path) -> list[Path]:
    """``translations/anchordesk_*.ts`` -> ``out_dir/*.qm``; a failure fails the build (a wheel
    that silently falls back to English is worse than no wheel)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for ts_file in sorted((ROOT / "translations").glob("anchordesk_*.ts")):
        qm_file = out_dir / (ts_file.stem + ".qm")
        subprocess.run(
            [*_lrelease(), "-silent", str(ts_file), "-qm", str(qm_file)],
            check=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        written.append(qm_file)
    if not written:
        raise RuntimeError("no translations/anchordesk_*.ts to compile")
    return written


class BuildPyWithTranslations(build_py):
    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        modules: list[tuple[str, str, str]] = super().find_package_modules(package, package_dir)
        if any(package == data or package.startswith(data + ".") for data in DATA_PACKAGES):
            # Only the marker __init__.py is a module of a data package: a helper script that
            # someone leaves in a data folder must not become importable code.
            modules = [module for module in modules if module[1] == "__init__"]
        return modules

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            # `pip install -e .`: the package maps to the checkout's translations/ folder.
            out_dir = ROOT / "translations"
        else:
            out_dir = Path(self.build_lib) / "anchordesk" / "translations"
        for qm_file in compile_translations(out_dir):
            print(f"compiled {qm_file.relative_to(out_dir.parent)}", file=sys.stderr)


setup(
    packages=find_packages("src") + _data_packages(),
    package_dir={"": "src", **DATA_PACKAGES},
    cmdclass={"build_py": BuildPyWithTranslations},
)
