"""Build-time tools: generators of checked-in artifacts (dashboard, argocd-cm, install.yaml)."""
