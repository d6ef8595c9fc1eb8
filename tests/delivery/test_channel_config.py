"""Channel and [alerts] config: what users may write and the clear errors for what they may not."""

from __future__ import annotations

import pytest

from monitor.config import parse_config
from monitor.errors import ConfigError

WEBHOOK = '[channels.ops]\ntype = "webhook"\nurl = "https://hooks.example.com/x"\n'
EMAIL = (
    '[channels.team]\ntype = "email"\nsmtp_host = "smtp.example.com"\n'
    'from = "a@example.com"\nto = ["b@example.com"]\n'
)


def test_webhook_defaults_and_extra_headers():
    config = parse_config(WEBHOOK + 'headers = { "X-Team" = "markets" }\ntimeout = 3\n')
    channel = config.channels["ops"]
    assert (channel.format, channel.timeout, channel.secret_env) == ("firealarm", 3.0, None)
    assert channel.headers == {"X-Team": "markets"}


def test_signature_headers_cannot_be_overridden():
    with pytest.raises(ConfigError, match=r"channels\.ops\.webhook\.headers: .*webhook-signature"):
        parse_config(WEBHOOK + 'headers = { "Webhook-Signature" = "v1,forged" }\n')


def test_email_needs_both_credential_variables_or_neither():
    assert parse_config(EMAIL).channels["team"].security == "starttls"
    with pytest.raises(ConfigError, match="set both username_env and password_env"):
        parse_config(EMAIL + 'username_env = "SMTP_USER"\n')


def test_unknown_format_and_bad_external_url_are_config_errors():
    with pytest.raises(ConfigError, match="format"):
        parse_config(WEBHOOK + 'format = "teams"\n')
    with pytest.raises(ConfigError, match=r"alerts\.external_url"):
        parse_config('[alerts]\nexternal_url = "ftp://x"\n')


def test_external_url_defaults_to_the_server_address():
    assert parse_config("").external_url() == "http://127.0.0.1:8787"
    url = parse_config('[alerts]\nexternal_url = "https://fa.example.com"\n').external_url()
    assert url == "https://fa.example.com"


def test_webhook_needs_exactly_one_of_url_and_url_env():
    assert parse_config('[channels.s]\ntype = "webhook"\nurl_env = "SLACK_URL"\n')
    with pytest.raises(ConfigError, match="exactly one of 'url' and 'url_env'"):
        parse_config(WEBHOOK + 'url_env = "SLACK_URL"\n')
    with pytest.raises(ConfigError, match="exactly one of 'url' and 'url_env'"):
        parse_config('[channels.s]\ntype = "webhook"\n')


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ('{ "X-Team" = "markets\\r\\nX-Evil: 1" }', "holds a line break"),
        ('{ "X-Team" = "markets\\n" }', "holds a line break"),
        ('{ "X-Te\\r\\nam" = "markets" }', "is not a valid header name"),
        ('{ "X Team" = "markets" }', "is not a valid header name"),
    ],
)
def test_line_breaks_in_headers_are_refused_at_load(headers: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_config(WEBHOOK + f"headers = {headers}\n")


def test_apprise_and_pagerduty_channels_and_their_limits():
    config = parse_config(
        '[channels.phone]\ntype = "apprise"\nurls_env = "URLS"\n'
        '[channels.oncall]\ntype = "pagerduty"\nrouting_key_env = "PD_KEY"\n'
    )
    assert config.channels["phone"].timeout == 10.0
    assert config.channels["oncall"].url == "https://events.pagerduty.com/v2/enqueue"
    with pytest.raises(ConfigError, match=r"channels\.oncall\.pagerduty\.routing_key_env"):
        parse_config('[channels.oncall]\ntype = "pagerduty"\n')
    long = "p" * 43  # its deliveries' channel column would overflow 64 characters
    with pytest.raises(ConfigError, match="an apprise channel's name has at most 42"):
        parse_config(f'[channels.{long}]\ntype = "apprise"\nurls_env = "URLS"\n')
