"""A running show, wired once for every front end (window, command line, remote)."""
