"""Channels, ``[channels.NAME]``: webhook, email, Apprise and PagerDuty, with their templates."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from monitor.config.base import ConfigModel


class ChannelBase(ConfigModel):
    """What every channel type has: how many deliveries it sends at once (its own budget)."""

    concurrency: int = Field(8, ge=1, le=64, description="deliveries in flight at once")


class _Templated(ChannelBase):
    """What every channel has: Jinja2 templates (``monitor.delivery.templates``), checked in
    ``Config``, and the mute time intervals that hold its notifications."""

    title_template: str | None = None
    body_template: str | None = None
    mute_time_intervals: list[str] = Field(default_factory=list)


class WebhookChannel(_Templated):
    type: Literal["webhook"]
    url: str | None = Field(None, pattern=r"^https?://")
    url_env: str | None = Field(None, description="variable holding a URL that is a secret")
    format: Literal["firealarm", "alertmanager", "slack", "discord", "custom"] = "firealarm"
    secret_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(10.0, gt=0)

    @model_validator(mode="after")
    def _one_url(self) -> WebhookChannel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("set exactly one of 'url' and 'url_env'")
        if self.format == "custom" and self.body_template is None:
            raise ValueError("format 'custom' needs a 'body_template' (the JSON body)")
        return self

    @field_validator("headers")
    @classmethod
    def _no_reserved_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        reserved = {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"}
        if clash := reserved & {name.lower() for name in headers}:
            raise ValueError(f"headers: {sorted(clash)} are set by firealarm")
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"headers: {name!r} is not a valid header name")
            if not _HEADER_VALUE.fullmatch(value):
                # A line break would end the header and start another (header injection).
                raise ValueError(f"headers: the value of {name!r} holds a line break or control")
        return headers


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110's token
_HEADER_VALUE = re.compile(r"^[^\x00-\x08\x0a-\x1f\x7f]*$")  # tab allowed, no CR/LF


class EmailChannel(_Templated):
    type: Literal["email"]
    smtp_host: str
    smtp_port: int = Field(587, gt=0, lt=65536)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None
    from_: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    timeout: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _credentials_pair(self) -> EmailChannel:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("set both username_env and password_env, or neither")
        return self


class AppriseChannel(_Templated):
    """Telegram, ntfy, Pushover, Gotify, Matrix, Teams... through Apprise URLs (credentials)."""

    type: Literal["apprise"]
    urls_env: str = Field(description="variable holding the Apprise URLs, separated by spaces")
    timeout: float = Field(10.0, gt=0)


# A delivery's channel column holds 64 characters: NAME/<service, 12 at most>-<8 hex>.
APPRISE_NAME_LIMIT = 42


class PagerDutyChannel(_Templated):
    """PagerDuty Events API v2: trigger on firing, resolve on resolution."""

    type: Literal["pagerduty"]
    routing_key_env: str = Field(description="variable holding the integration's routing key")
    url: str = Field("https://events.pagerduty.com/v2/enqueue", pattern=r"^https?://")
    timeout: float = Field(10.0, gt=0)


Channel = Annotated[
    WebhookChannel | EmailChannel | AppriseChannel | PagerDutyChannel,
    Field(discriminator="type"),
]
