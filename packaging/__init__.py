"""Data, not code: this folder is the package ``anchordesk.packaging`` (setup.py maps it), of which
only the desktop entry, the MIME type and the AppStream files go into the wheel, for
``anchordesk desktop install``. The PyInstaller spec and scripts here stay out of it."""
