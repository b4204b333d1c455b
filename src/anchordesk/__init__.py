"""AnchorDesk: the control room of a live-commerce show."""

__version__ = "0.1.0"
