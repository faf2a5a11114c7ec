"""Every API operation that takes a JSON body takes a JSON *object*: a bare ``5``, ``null`` or
``[]`` is a 400 problem naming the body, never "no fields given" (a ninja ``Schema`` reads its
fields off any object, so a schema whose fields are all optional took them as an empty body: an
approval, a label, a cancellation with nothing in it). Walks every operation of the API, so a new
endpoint is covered the day it is added."""

from __future__ import annotations

import re

import pytest

from aftercart.api.v1 import api as ninja_api


def _operations_with_a_body() -> list[tuple[str, str]]:
    found = []
    for prefix, router in ninja_api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                if not any(model.__ninja_param_source__ == "body" for model in operation.models):
                    continue
                for method in operation.methods:
                    url = "/api/v1/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
                    found.append((method, re.sub(r"\{[^}]+\}", "1001", url)))
    return sorted(set(found))


OPERATIONS = _operations_with_a_body()


def test_the_walk_finds_the_operations_with_a_body():
    assert ("POST", "/api/v1/orders/1001/cancel") in OPERATIONS
    assert ("POST", "/api/v1/returns/1001/approve") in OPERATIONS
    assert len(OPERATIONS) > 15


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), OPERATIONS)
def test_every_body_must_be_a_json_object(client, api_token, method, url):
    for body in ("5", "null", "[]"):
        response = client.generic(
            method, url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_token}"
        )
        assert response.status_code == 400, (body, response.status_code, response.content[:300])
        problem = response.json()
        assert problem["errors"] == [
            {"field": "body", "message": "The body must be a JSON object, such as {}."}
        ]
