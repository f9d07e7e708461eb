"""modelops: a Kubernetes-native MLOps operator.

TrainingRun -> Job -> ONNX model; ModelVersion -> scan Job -> Validated/Rejected;
ModelDeployment -> onnxruntime serving pods speaking the Open Inference Protocol (V2).
"""

__version__ = "0.1.0"
GROUP = "modelops.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
