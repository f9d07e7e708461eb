"""What runs inside pods: the trainer, the scanner and the inference server.

Nothing here imports the controllers, the Kubernetes client or the local cluster:
a pod gets its instructions from its command line and environment only.
"""
