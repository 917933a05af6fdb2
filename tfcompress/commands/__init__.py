"""One module per CLI command (registered in :mod:`tfcompress.cli`)."""
