"""Names a real API server refuses are refused here too, with the field named."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from modelops.api import crds
from modelops.local.apiserver import ApiServer

MD = "/apis/modelops.dev/v1alpha1/namespaces/default/modeldeployments"


async def _post(http: aiohttp.ClientSession, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with http.post(path, json=body) as answer:
        return answer.status, await answer.json()


@pytest.mark.parametrize("name", ["web.v2", "1api", "x" * 64, "Api"])
async def test_a_service_name_that_is_not_a_dns_1035_label_is_invalid(
    apiserver: ApiServer, name: str
) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"ports": [{"port": 80}]},
    }
    async with aiohttp.ClientSession(apiserver.url) as http:
        status, body = await _post(http, "/api/v1/namespaces/default/services", service)
    assert status == 422
    assert body["details"]["causes"][0]["field"] == "metadata.name"


@pytest.mark.parametrize("name", ["web.v2", "1api", "x" * 64])
async def test_a_model_deployment_whose_service_could_not_exist_is_refused_at_apply(
    apiserver: ApiServer, name: str
) -> None:
    deployment = {
        "apiVersion": "modelops.dev/v1alpha1",
        "kind": "ModelDeployment",
        "metadata": {"name": name},
        "spec": {"model": "m"},
    }
    async with aiohttp.ClientSession(apiserver.url) as http:
        crd = crds.render_crd(crds.MODEL_DEPLOYMENT)
        status, _ = await _post(
            http, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd
        )
        assert status == 201
        status, body = await _post(http, MD, deployment)
        assert status == 422, body
        assert "metadata.name" in body["message"]
        ok = {**deployment, "metadata": {"name": "web-v2"}}
        assert (await _post(http, MD, ok))[0] == 201
