"""The show domain: products, run sheet, flash deals, ledger and compliance.

Pure Python: no Qt, no threads, no I/O except reading and writing show files in `files`, and no
clock of its own (every function that depends on time takes `now_s`).
"""
