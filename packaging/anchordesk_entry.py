"""Entry script of the PyInstaller bundle: the same `anchordesk` command as the pip install."""

from anchordesk.cli import main

raise SystemExit(main())
