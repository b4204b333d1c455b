"""The show domain: products, run sheet, flash deals, ledger and compliance.

Pure Python: no Qt, no threads, no I/O except reading and writing show files in `files`, and no
clock of its own (every function that depends on time takes `now_s`).
"""

from anchordesk.show.compliance import ComplianceMatcher, Hit, check_show, find_hits
from anchordesk.show.controller import ShowController
from anchordesk.show.files import ShowError, ShowReport, dump_show, load_show, read_show_file
from anchordesk.show.model import DealPlan, Product, Segment, Show, Theme, format_money
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
    "ShowError",
    "ShowReport",
    "ShowState",
    "Theme",
    "check_show",
    "dump_show",
    "find_hits",
    "format_money",
    "load_show",
    "read_show_file",
    "validate_show",
]
