"""The trainer: what runs inside a TrainingRun's Job pod (``modelops train``).

It reads a dataset, fits an allow-listed scikit-learn estimator, exports it to ONNX,
checks the export against the fitted model, and writes the run's artifacts. The
scanner imports ``hashing.row_hashes`` from here so both hash rows one way.
"""
