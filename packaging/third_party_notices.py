"""THIRD-PARTY-NOTICES for the frozen app, from what the bundle actually holds.

    build-venv/bin/python packaging/third_party_notices.py dist/anchordesk \\
        > dist/anchordesk/THIRD-PARTY-NOTICES.txt

Run it with the Python of the venv the app was frozen from (packaging/smoke_test.sh does). It
reads the bundle, not a list kept by hand:

- every file in the bundle folder is matched to the installed distribution whose RECORD holds
  it (Qt's libraries belong to PySide6-Essentials, libx264 and FFmpeg to av, OpenCV's own
  FFmpeg to opencv-python-headless...); the Python modules inside the executable's archive are
  matched through their top-level package;
- a shared library that no distribution owns was copied from the system: ``dpkg -S`` names its
  Debian package, whose ``copyright`` file is its licence; ``libpython`` is Python's;
- for each distribution: version, licence (``License-Expression``, ``License`` or the
  classifiers), the native libraries its wheel vendors (its auditwheel SBOM, when it has one),
  and the full text of every licence file it ships.

The result is plain text, one section per component, each licence text once.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from importlib import metadata
from pathlib import Path

SEPARATOR = "=" * 78


def bundle_root(folder: Path) -> Path:
    internal = folder / "_internal"
    return internal if internal.is_dir() else folder


def archive_modules(folder: Path) -> set[str]:
    """Top-level names of the Python modules in the executable's PYZ archive."""
    try:
        from PyInstaller.archive.readers import CArchiveReader
    except ImportError:
        return set()
    executables = [p for p in folder.iterdir() if p.is_file() and p.stem == "anchordesk"]
    names: set[str] = set()
    for executable in executables:
        archive = CArchiveReader(str(executable))
        for entry in archive.toc:
            if entry.endswith(".pyz"):
                pyz = archive.open_embedded_archive(entry)
                names |= {name.split(".")[0] for name in pyz.toc}
    return names


def owners() -> dict[str, metadata.Distribution]:
    """Installed file (relative to site-packages) -> its distribution."""
    owned: dict[str, metadata.Distribution] = {}
    for distribution in metadata.distributions():
        for file in distribution.files or ():
            owned[Path(str(file)).as_posix()] = distribution
    return owned


def licence_of(distribution: metadata.Distribution) -> str:
    meta = distribution.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    classifiers = [
        c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
    ]
    text = (meta.get("License") or "").strip()
    if classifiers:
        return "; ".join(classifiers)
    return text.splitlines()[0] if text else "see the licence text below"


def licence_files(distribution: metadata.Distribution) -> list[tuple[str, str]]:
    found = []
    for file in distribution.files or ():
        name = Path(str(file)).name.upper()
        in_metadata = ".dist-info/" in str(file)
        if in_metadata and name.startswith(("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")):
            path = Path(str(distribution.locate_file(file)))
            if path.is_file() and path.suffix not in (".py", ".pyc", ".so"):
                found.append((str(file), path.read_text(encoding="utf-8", errors="replace")))
    return found


def vendored(distribution: metadata.Distribution) -> list[str]:
    """Native components an auditwheel SBOM says the wheel carries."""
    components = []
    for file in distribution.files or ():
        if "/sboms/" in str(file) and str(file).endswith(".json"):
            path = Path(str(distribution.locate_file(file)))
            try:
                sbom = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for component in sbom.get("components", []):
                label = f"{component.get('name')} {component.get('version', '')}".strip()
                if component.get("purl"):
                    label += f" ({component['purl']})"
                components.append(label)
    return sorted(set(components))


def system_package(library: Path) -> tuple[str, Path | None]:
    """(Debian package, its copyright file) of a system library with this file name."""
    for folder in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"):
        candidate = Path(folder) / library.name
        if candidate.exists():
            # dpkg knows a file by the path its package shipped it under: with merged /usr
            # that may be /lib/... or /usr/lib/..., the link's name or its target's.
            resolved = candidate.resolve()
            names = {str(candidate), str(resolved)}
            names |= {name.removeprefix("/usr") for name in names}
            names |= {"/usr" + name for name in names if not name.startswith("/usr")}
            result = subprocess.run(["dpkg", "-S", *sorted(names)], capture_output=True, text=True)
            if result.stdout.strip():
                package = result.stdout.split(":")[0]
                copyright_file = Path("/usr/share/doc") / package / "copyright"
                return package, copyright_file if copyright_file.is_file() else None
    return "", None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[0])
    root = bundle_root(folder)
    owned = owners()
    by_distribution: dict[str, list[str]] = defaultdict(list)
    distributions: dict[str, metadata.Distribution] = {}
    system_files: list[Path] = []
    # PyInstaller links some libraries at the top of the folder to their real place (Qt's under
    # PySide6/Qt/lib): the real file is counted with its owner, the link is skipped.
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(root).as_posix()
        distribution = owned.get(relative)
        if distribution is not None:
            name = distribution.metadata["Name"]
            distributions[name] = distribution
            by_distribution[name].append(relative)
        elif ".so" in path.name or path.suffix in (".dll", ".dylib"):
            system_files.append(path)
    top_level = metadata.packages_distributions()
    for module in archive_modules(folder):
        for name in top_level.get(module, []):
            distributions.setdefault(name, metadata.distribution(name))
            by_distribution[name].append(f"{module} (Python modules)")
    try:  # PyInstaller's bootloader is the executable itself
        distributions.setdefault("pyinstaller", metadata.distribution("pyinstaller"))
        by_distribution["pyinstaller"].append("the bootloader (the anchordesk executable)")
    except metadata.PackageNotFoundError:
        pass

    out: list[str] = [
        "THIRD-PARTY NOTICES for the AnchorDesk application folder",
        "",
        "AnchorDesk is free software under the GNU General Public License, version 3 or later",
        "(LICENSE). This folder also carries the components below, each under its own licence,",
        "whose full text follows. Generated from the folder's contents by",
        "packaging/third_party_notices.py.",
        "",
        "Source code: the Python packages' sources are on PyPI (name and version below); the",
        "native libraries' sources are named by each wheel's SBOM or Debian package.",
        "",
    ]
    texts: dict[str, str] = {}
    sections = []
    for name in sorted(distributions, key=str.lower):
        if name.lower() == "anchordesk":
            continue
        distribution = distributions[name]
        lines = [
            SEPARATOR,
            f"{name} {distribution.version}",
            f"Licence: {licence_of(distribution)}",
        ]
        libraries = sorted({Path(f).name for f in by_distribution[name] if ".so" in f})
        if libraries:
            lines.append(f"Native libraries in this folder ({len(libraries)}):")
            lines += [f"  {library}" for library in libraries]
        components = vendored(distribution)
        if components:
            lines.append("Built from (the wheel's SBOM):")
            lines += [f"  {component}" for component in components]
        for file_name, text in licence_files(distribution):
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            texts.setdefault(digest, text)
            lines.append(f"Licence text: [{digest}] {file_name}")
        sections.append("\n".join(lines))

    system_sections: dict[str, list[str]] = defaultdict(list)
    copyrights: dict[str, Path | None] = {}
    for library in system_files:
        dynload = (
            Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        )
        if (
            library.name.startswith("libpython")
            or (dynload / "lib-dynload" / library.name).exists()
        ):
            system_sections["Python " + sys.version.split()[0]].append(library.name)
            version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
            license_path = Path(sys.base_prefix) / "lib" / version / "LICENSE.txt"
            copyrights["Python " + sys.version.split()[0]] = (
                license_path if license_path.is_file() else None
            )
            continue
        package, copyright_file = system_package(library)
        key = f"Debian package {package}" if package else "of unknown origin"
        system_sections[key].append(library.name)
        copyrights[key] = copyright_file
    for key in sorted(system_sections):
        lines = [SEPARATOR, key, "Libraries in this folder:"]
        lines += [f"  {name}" for name in sorted(set(system_sections[key]))]
        copyright_file = copyrights.get(key)
        if copyright_file is not None:
            text = copyright_file.read_text(encoding="utf-8", errors="replace")
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            texts.setdefault(digest, text)
            lines.append(f"Licence text: [{digest}] {copyright_file}")
        sections.append("\n".join(lines))

    out += sections
    out += ["", SEPARATOR, "LICENCE TEXTS", SEPARATOR]
    for digest, text in texts.items():
        out += ["", f"[{digest}]", "", text.rstrip(), ""]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
