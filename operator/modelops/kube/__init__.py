"""The one seam to the Kubernetes API: every call the operator makes goes through here.

Controllers never build URLs or speak HTTP; they call ``Kube`` with whole objects
or (apiVersion, kind, namespace, name). Tests and the local cluster swap the
server behind it, never this code.
"""
