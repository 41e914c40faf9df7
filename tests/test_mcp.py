"""Agents as users: with ``GRADIO_MCP_SERVER=True`` (Gradio's own switch; ``launch(mcp_server=True)``)
the app's public endpoints are also MCP tools, named as in the API, with the API's parameters."""
import asyncio

import pytest

from conftest import launched

pytest.importorskip("mcp")  # requirements-dev.txt installs gradio[mcp]


def _ask(url: str):
    """An MCP client's session with the app: (the tools' names, the tools, generate_gan's answer)."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def run():
        async with streamablehttp_client(url + "gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = (await session.list_tools()).tools
                answer = await session.call_tool("generate_gan", {"dataset": "fashion", "label": 7, "n": 4,
                                                                  "seed": 3, "truncation": 0.9})
                return tools, answer
    return asyncio.run(run())


def test_every_endpoint_is_a_tool_and_generate_answers():
    with launched(mcp_server=True) as (demo, url):
        tools, answer = _ask(url)
        public = {fn.api_name for fn in demo.fns.values() if fn.api_name and fn.api_visibility == "public"}
    assert {t.name for t in tools} == public and "generate_gan" in public
    schema = next(t for t in tools if t.name == "generate_gan").inputSchema["properties"]
    assert list(schema) == ["dataset", "label", "n", "seed", "truncation"]
    assert schema["label"]["type"] == "integer" and schema["dataset"]["enum"] == ["mnist", "fashion"]
    text = " ".join(getattr(c, "text", "") for c in answer.content)
    assert not answer.isError and "image.png" in text and "**4 images in" in text and "seed 3" in text
