"""The show editor."""

from anchordesk.ui.editor.editor import ShowEditor

__all__ = ["ShowEditor"]
