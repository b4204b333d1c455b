"""The built-in sample shows: one per language the program speaks, chosen by the UI language.

They live in the package's resources (``shows/en``, ``shows/zh``, ``shows/ja``), which an
installed program cannot write: the editor opens them read-only and offers "Save as…".
"""

from __future__ import annotations

from pathlib import Path

from anchordesk.core import paths

# Folder of the sample show for a language code's prefix; English is the fallback.
_FOLDERS = (("zh", "zh"), ("ja", "ja"))
FALLBACK = "en"


def samples_dir() -> Path:
    return Path(str(paths.resources_dir())) / "shows"


def sample_folder(language: str) -> str:
    """``zh_CN``/``zh-TW`` -> ``zh``, ``ja``/``ja_JP`` -> ``ja``, anything else -> ``en``."""
    lowered = language.lower().replace("-", "_")
    for prefix, folder in _FOLDERS:
        if lowered == prefix or lowered.startswith(prefix + "_"):
            return folder
    return FALLBACK


def sample_show_path(language: str) -> Path | None:
    """The sample show in ``language`` (a UI language or locale name), else another one."""
    wanted = sample_folder(language)
    for folder in (wanted, FALLBACK, *(folder for _prefix, folder in _FOLDERS)):
        path = samples_dir() / folder / "show.json"
        if path.is_file():
            return path
    return None


def is_sample(path: Path) -> bool:
    """Whether ``path`` is one of the built-in samples (or a file beside them)."""
    try:
        return path.resolve().is_relative_to(samples_dir().resolve())
    except OSError:
        return False
