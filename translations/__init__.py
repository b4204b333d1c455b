"""Data, not code: this folder is the package ``anchordesk.translations`` (setup.py maps it and
compiles the ``.ts`` catalogues to ``.qm`` at build time). See ``anchordesk.core.paths``."""
