"""/openapi.json describes what the REST routes return, not only what they take."""

from __future__ import annotations

from frontdesk.app import Frontdesk
from frontdesk.config import Settings
from frontdesk.server import create_app


def test_rest_routes_describe_their_responses(settings: Settings) -> None:
    app = Frontdesk(settings)
    try:
        spec = create_app(settings, app, warm_up=False).openapi()
    finally:
        app.close()
    paths, schemas = spec["paths"], spec["components"]["schemas"]

    def response(path: str, method: str, status: str = "200") -> dict:
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]

    assert response("/api/agents", "get")["items"]["$ref"].endswith("/AgentOut")
    assert response("/api/agents", "post", "201")["$ref"].endswith("/AgentDetail")
    assert {"name", "embedder", "document", "product", "sources", "persona", "public"} <= set(
        schemas["AgentDetail"]["properties"])
    message = response("/api/agents/{name}/conversations/{conversation_id}/messages", "post")
    assert message["$ref"].endswith("/AnswerOut") and "held" in schemas["AnswerOut"]["required"]
    transcript = schemas["TranscriptOut"]["properties"]["transcript"]
    assert transcript["items"]["$ref"].endswith("/MessageOut")
    assert response("/api/agents/{name}/sources", "post", "202")["$ref"].endswith("/SourceJob")
    assert response("/api/agents/{name}/search", "get")["items"]["$ref"].endswith("/HitOut")
