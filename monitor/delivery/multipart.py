"""Discord's file upload: the JSON message as ``payload_json`` plus the chart as ``files[0]``.

Discord incoming webhooks take ``multipart/form-data``; an embed shows an uploaded file through
``attachment://<filename>`` (Discord's "Uploading Files" reference).
"""

from __future__ import annotations

import json

import httpx


def discord_multipart(body: bytes, png: bytes, filename: str) -> tuple[bytes, str]:
    """The multipart body carrying ``body`` (a Discord message) with ``png`` shown in its embed.

    Returns the bytes and their content type (with the boundary); the bytes are what is signed.
    """
    message = json.loads(body)
    for embed in message.get("embeds", [])[:1]:
        embed["image"] = {"url": f"attachment://{filename}"}
    message["attachments"] = [{"id": 0, "filename": filename}]
    payload = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    request = httpx.Request(
        "POST",
        "http://discord.invalid/",  # only encodes the form; never sent
        data={"payload_json": payload},
        files={"files[0]": (filename, png, "image/png")},
    )
    return request.read(), request.headers["content-type"]
