"""core/url_values.py: an operator's URL is parsed once, strictly, and never echoes a password."""

from __future__ import annotations

import pytest

from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.url_values import (
    BaseUrl,
    has_user_info,
    parse_base_url,
    user_info_error,
)

KEY = "LMSBRIDGE_APP_URL"


@pytest.mark.parametrize(
    ("text", "scheme", "host", "port", "path"),
    [
        ("https://app.example.com", "https", "app.example.com", None, ""),
        ("https://App.Example.com/", "https", "app.example.com", None, ""),
        ("http://mitxonline.odl.local:8013", "http", "mitxonline.odl.local", 8013, ""),
        (
            "  https://sso.example.edu/realms/learn/  ",
            "https",
            "sso.example.edu",
            None,
            "/realms/learn",
        ),
        ("http://172.22.0.1:8013", "http", "172.22.0.1", 8013, ""),
        ("http://[fd00:0::1]:8000/x", "http", "[fd00::1]", 8000, "/x"),
    ],
)
def test_parse_keeps_the_parts_without_a_trailing_slash(
    text: str, scheme: str, host: str, port: int | None, path: str
) -> None:
    url = parse_base_url(KEY, text)
    assert url == BaseUrl(scheme, host, port, path)
    assert str(url) == f"{url.origin}{path}"
    assert url.join("/oauth2/token/") == f"{url}/oauth2/token/"


def test_origin_and_netloc() -> None:
    url = parse_base_url(KEY, "http://app.local:8013/prefix")
    assert url.origin == "http://app.local:8013"
    assert url.netloc == "app.local:8013"
    assert parse_base_url(KEY, "https://app.example.com").netloc == "app.example.com"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, "expected a URL, got None"),
        ("", "expected a URL"),
        (8013, "expected a URL, got 8013"),
        ("app.example.com", "must start with http:// or https://"),
        ("ftp://app.example.com", "must start with http:// or https://"),
        ("https://app example.com", "cannot contain spaces or control characters"),
        ("https://app.example.com/\x07", "cannot contain spaces or control characters"),
        ("https://app.example.com/?next=/", "must not have a query or fragment"),
        ("https://app.example.com/#top", "must not have a query or fragment"),
        ("https://-app.example.com", "has no valid host name"),
        ("https://app_example.com", "has no valid host name"),
        ("https://app.example.com:99999", "is not a valid URL"),
        ("https://app.example.com/a<b", "has characters not allowed in a path"),
        ("http://[fe80::1%eth0]/", "has no valid IPv6 address in brackets"),
        ("http://[zz::1]/", "is not a valid URL"),
    ],
)
def test_bad_urls_are_refused_with_the_key_and_a_fix(value: object, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_base_url(KEY, value)
    error = refused.value
    assert error.key == KEY
    assert problem in error.problem
    assert error.line("lmsbridge-set").endswith(
        "tutor lmsbridge set LMSBRIDGE_APP_URL=https://app.example.com"
    )


def test_a_query_is_accepted_where_asked_and_left_out() -> None:
    url = parse_base_url(KEY, "https://idp.example.com/metadata?appid=1", allow_query=True)
    assert str(url) == "https://idp.example.com/metadata"
    with pytest.raises(ConfigError):
        parse_base_url(KEY, "https://idp.example.com/metadata#x", allow_query=True)


@pytest.mark.parametrize(
    "text",
    [
        "https://admin:s3cret@app.example.com",
        "admin:s3cret@app.example.com",
        "https://token@app.example.com/x",
    ],
)
def test_user_info_is_refused_without_echoing_it(text: str) -> None:
    assert has_user_info(text)
    with pytest.raises(ConfigError) as refused:
        parse_base_url(KEY, text)
    line = refused.value.line("config-save")
    assert "s3cret" not in line
    assert "token@" not in line
    assert "user name or password" in line


def test_the_fix_for_user_info_is_the_url_without_it() -> None:
    error = user_info_error(KEY, "https://admin:s3cret@app.example.com/x")
    assert error is not None
    assert error.example == "https://app.example.com/x"
    # In a list, or without a scheme, there is no single URL to suggest.
    listed = user_info_error(KEY, ["https://ok.example.com", "https://a:b@c.example.com"])
    assert listed is not None
    assert listed.example is None
    assert user_info_error(KEY, "https://app.example.com/@handle") is None
    assert not has_user_info("https://app.example.com/path?next=a@b")
