"""Regression: promoting one model's retrained version never touches another model's versions.

Two models in one namespace: ``alpha`` served with a retraining policy that promotes on its
own, ``beta`` whose v1 is in Production and served by stage. Once alpha's retrained
version is promoted, beta-v1 must still be in Production and beta still served.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cluster, condition_is, train


def _deploy(cluster: Cluster, text: str) -> None:
    cluster.kubectl("apply", "-f", "-", input=text)


def _promote(cluster: Cluster, name: str) -> None:
    cluster.kubectl("patch", "mv", name, "--type", "merge", "-p", '{"spec":{"stage":"Production"}}')
    cluster.wait_for("mv", name, lambda o: o["status"].get("stage") == "Production")


@pytest.mark.slow
def test_promoting_a_retrained_alpha_leaves_beta_in_production(cluster: Cluster) -> None:
    beta = train(cluster, "beta-lr", "beta", "LogisticRegression", "{max_iter: 500}")
    beta_name = beta["metadata"]["name"]
    _promote(cluster, beta_name)
    _deploy(
        cluster,
        "apiVersion: modelops.dev/v1alpha1\nkind: ModelDeployment\nmetadata: {name: beta}\n"
        "spec: {model: beta, policy: stage, stage: Production, replicas: 1}\n",
    )
    # Strongly regularised to start from, so the retrained model beats its champion.
    alpha = train(cluster, "alpha-lr", "alpha", "LogisticRegression", "{C: 0.03, max_iter: 500}")
    assert alpha["spec"]["version"] == beta["spec"]["version"], "the bug needs equal numbers"
    _promote(cluster, alpha["metadata"]["name"])
    _deploy(
        cluster,
        """
apiVersion: modelops.dev/v1alpha1
kind: ModelDeployment
metadata: {name: alpha}
spec:
  model: alpha
  policy: stage
  stage: Production
  replicas: 1
  retraining:
    autoPromote: true
    template:
      model: alpha
      dataset: {uri: "builtin://breast_cancer", holdoutFraction: 0.25, seed: 7}
      estimator: {name: LogisticRegression, params: {max_iter: 500}}
      preprocessing: {scaling: standard}
""",
    )
    for name in ("alpha", "beta"):
        cluster.wait_for("md", name, condition_is("Ready"))
    cluster.kubectl(
        "annotate", "md", "alpha", "--overwrite", "modelops.dev/retrain-requested=regression"
    )
    promoted = cluster.wait_for(
        "md",
        "alpha",
        lambda o: (
            (o["status"].get("lastRetraining") or {}).get("outcome")
            in ("Promoted", "Rejected", "Failed")
        ),
        timeout=240,
    )
    candidate = cluster.get("mv", promoted["status"]["lastRetraining"]["modelVersion"])
    assert promoted["status"]["lastRetraining"]["outcome"] == "Promoted", candidate["status"]
    archived = cluster.get("mv", alpha["metadata"]["name"])
    assert archived["status"]["stage"] == "Archived", "the model's own old version is archived"
    still = cluster.get("mv", beta_name)
    assert (still["spec"]["stage"], still["status"]["stage"]) == ("Production", "Production")
    served = cluster.wait_for("md", "beta", condition_is("Ready"))
    assert served["status"]["currentVersion"] == beta["spec"]["version"]
