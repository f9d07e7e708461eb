"""The names of the ONNX model contract the trainer writes and the scanner and server read.

Numeric features travel as one FP32 input named ``NUMERIC_INPUT`` (each categorical
feature as a STRING input named by its column); a classifier outputs ``LABEL`` and
``PROBABILITIES``, a regressor ``VARIABLE``. Plain constants, so the serving pods can
import them without the trainer's libraries.
"""

NUMERIC_INPUT = "input"
LABEL = "label"
PROBABILITIES = "probabilities"
VARIABLE = "variable"
