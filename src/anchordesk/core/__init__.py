"""The bottom layer: errors, paths, secrets, redaction, atomic writes, money, backoff."""
