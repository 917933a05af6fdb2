"""Corpus families; each module registers its entries with :func:`tests.corpus.registry.add` at import."""
