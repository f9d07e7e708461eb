"""Drift statistics shared by the trainer (which builds the reference) and the server.

Pure numpy and scipy: JSON-able dicts in, JSON-able dicts out, no I/O. Import the modules,
not their names::

    from modelops.drift import detector, profile

    ref = profile.build_reference(columns, categorical=["city"])
    report = detector.evaluate(ref, window_columns)

Layers, lowest first: ``scores`` (one scale for every test), ``marginal``, ``psi``,
``categorical`` and ``multivariate`` (the tests), ``profile`` (the reference and its JSON),
``detector`` (judging a window, offline or streaming).
"""
