"""The show domain: products, run sheet, flash deals, ledger and compliance.

Pure Python: no Qt, no threads, no I/O (show files are read and written by `anchordesk.showfile`),
and no clock of its own (every function that depends on time takes `now_s`).
"""

from anchordesk.show.compliance import ComplianceMatcher, Hit, check_show, find_hits
from anchordesk.show.controller import ShowController
from anchordesk.show.model import DealPlan, Product, Segment, Show, Theme
from anchordesk.show.state import ShowCommandError, ShowState
from anchordesk.show.validate import Problem, validate_show

__all__ = [
    "ComplianceMatcher",
    "DealPlan",
    "Hit",
    "Problem",
    "Product",
    "Segment",
    "Show",
    "ShowCommandError",
    "ShowController",
    "ShowState",
    "Theme",
    "check_show",
    "find_hits",
    "validate_show",
]
