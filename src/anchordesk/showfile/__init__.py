"""Reading and writing show files and CSV imports: the I/O of shows (``show/`` stays pure)."""
