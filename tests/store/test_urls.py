"""Database URLs as users write them: a misspelt option is one line, a secret never shows."""

from __future__ import annotations

import pytest

from monitor.cli import run
from monitor.errors import ConfigError
from monitor.store.database import normalize_url, redact_url


@pytest.mark.parametrize("option", ["PASSWORD", "sslMode", "bogus"])
def test_an_option_libpq_does_not_know_is_a_clear_error_without_its_value(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://fa@127.0.0.1:1/x?{option}=s3cret-value"
    with pytest.raises(ConfigError, match=f"'{option}' is not a PostgreSQL connection option"):
        normalize_url(url)
    assert run(["--db", url, "signals"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: database url:") and len(err.strip().splitlines()) == 1
    assert "s3cret-value" not in err and "Traceback" not in err


def test_libpq_options_pass_and_plain_urls_get_psycopg() -> None:
    url = "postgresql://fa@db:5432/x?application_name=fa&connect_timeout=5&sslmode=require"
    assert normalize_url(url) == url.replace("postgresql://", "postgresql+psycopg://")


@pytest.mark.parametrize(
    "option", ["password", "sslpassword", "oauth_client_secret", "scram_client_key"]
)
def test_every_secret_option_is_masked(option: str) -> None:
    shown = redact_url(f"postgresql://fa:pw@db/x?{option}=s3cret-value&sslmode=require")
    assert "s3cret-value" not in shown and ":pw@" not in shown
    assert "sslmode=require" in shown
