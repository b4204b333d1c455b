"""Data, not code: this folder is the package ``anchordesk.resources`` (setup.py maps it), so
that ``importlib.resources`` finds the sample shows, the schema and the icons in a checkout, an
installed wheel and the frozen app alike. See ``anchordesk.core.paths``."""
