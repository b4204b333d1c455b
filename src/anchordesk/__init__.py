"""AnchorDesk: the control room of a live-commerce show."""

import os as _os

# NumPy and OpenCV each bundle OpenBLAS, whose worker threads spin for ~0.1 s of CPU each when
# the library loads; nothing here does linear algebra. Set before either is imported (a user's
# own setting wins).
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
