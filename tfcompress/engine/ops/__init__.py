"""Lowering functions, one module per op family (rows of :mod:`tfcompress.engine.optable`)."""
