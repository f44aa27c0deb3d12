"""The kinds of value a key can hold, and how a raw configuration value becomes one.

Tutor hands plugins the values YAML produced: ``--set`` values and ``config.yml`` are YAML,
so ``0123`` arrives as the number 83 and ``2030-06-30`` as a date. Text kinds therefore accept
only text (a number means YAML changed what the operator typed: they are told to quote it);
a date accepts a date or its ISO text; only booleans, integers, lists and mappings are meant
to be YAML. ``tutor lmsbridge set`` avoids the problem altogether by storing the value of a
*literal* kind exactly as typed.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from .errors import ConfigError, show_value

# Characters a single-line value may not contain: controls and line breaks. Sets, not
# regexes: compiling a regex costs every `tutor` call that loads the plugin.
_CONTROLS = frozenset(map(chr, [*range(0x20), 0x7F, 0x85, 0x2028, 0x2029]))


class Kind(NamedTuple):
    name: str  # as the README's key tables show it
    literal: bool  # `tutor lmsbridge set` keeps the value exactly as typed
    secret: bool = False  # never shown: not in messages, `status`, logs or job scripts


TEXT = Kind("text", literal=True)
SECRET = Kind("secret", literal=True, secret=True)
URL = Kind("base URL", literal=True)  # a base other URLs are built on: no trailing "/"
ENDPOINT = Kind("URL", literal=True)  # an exact URL, kept as typed
CHOICE = Kind("choice", literal=True)
DATE = Kind("date", literal=True)
BOOLEAN = Kind("boolean", literal=False)
INTEGER = Kind("integer", literal=False)
LIST = Kind("list", literal=False)
SECRET_LIST = Kind("secret list", literal=False, secret=True)
REGEX_LIST = Kind("regex list", literal=False)
MAPPING = Kind("mapping", literal=False)
JSON_MAPPING = Kind("JSON mapping", literal=False)
SWITCH = Kind("boolean or app name", literal=False)
XML = Kind("XML", literal=True)  # a document on several lines (SAML metadata)
PRIVATE_KEY = Kind("RSA private key (PEM)", literal=True, secret=True)
CERTIFICATE = Kind("certificate (PEM)", literal=True)  # public: shown like any value


class Rules(NamedTuple):
    """What a text value may look like (the catalog gives each key its own)."""

    pattern: str | None = None  # the characters (and shape) allowed, as a full-match regex
    chars: str = ""  # the same in words, for messages: "letters, digits, - and _"
    min_length: int = 0
    max_length: int | None = None
    minimum: int | None = None  # integers
    maximum: int | None = None
    example: str = ""  # a value that is accepted, for fix texts and the README


def is_unset(value: Any) -> bool:
    return value is None or value == ""


def _quote_hint(key: str, value: Any, secret: bool) -> ConfigError:
    shown = "a number" if secret else f"the number {show_value(value)}"
    return ConfigError(
        key,
        f"YAML read the value as {shown}, not text (0123 becomes 83, 0x1F becomes 31)",
        f"quote it as you typed it ({key}: '...' in config.yml), or give it with "
        "tutor lmsbridge set, which keeps text exactly as typed",
    )


def text(key: str, value: Any, rules: Rules, secret: bool = False) -> str:
    """A single-line string that follows ``rules``."""
    if isinstance(value, bool):
        raise ConfigError(key, "YAML read the value as true/false, not text", "quote it")
    if isinstance(value, (int, float)):
        raise _quote_hint(key, value, secret)
    if isinstance(value, datetime.date):
        raise ConfigError(key, "YAML read the value as a date, not text", "quote it")
    if not isinstance(value, str):
        shown = "a value of another type" if secret else show_value(value)
        raise ConfigError(key, f"expected text, got {shown}", "give a single-line text value")
    shown = "the value" if secret else show_value(value)
    if not _CONTROLS.isdisjoint(value):
        raise ConfigError(key, f"{shown} contains a line break or control character", "remove it")
    if rules.max_length is not None and len(value) > rules.max_length:
        raise ConfigError(
            key,
            f"{shown} is {len(value)} characters long, at most {rules.max_length} are accepted",
            f"shorten it to {rules.max_length} characters",
            rules.example or None,
        )
    if len(value) < rules.min_length:
        raise ConfigError(
            key,
            f"{shown} is {len(value)} characters long, at least {rules.min_length} are needed",
            f"use {rules.min_length} characters or more",
            rules.example or None,
        )
    if value and rules.pattern is not None and not re.fullmatch(rules.pattern, value):
        allowed = f": use {rules.chars}" if rules.chars else ""
        raise ConfigError(
            key, f"{shown} has characters or a form that is not allowed{allowed}", "", rules.example
        )
    return value


def boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(key, f"expected true or false, got {show_value(value)}", "", "true")


def integer(key: str, value: Any, rules: Rules) -> int:
    low, high = rules.minimum, rules.maximum
    bounds = f"{low} to {high}" if low is not None and high is not None else "a whole number"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, f"expected {bounds}, got {show_value(value)}", "", rules.example)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(key, f"expected {bounds}, got {value}", "", rules.example)
    return value


def date(key: str, value: Any, rules: Rules) -> str:
    """An ISO date, from YAML's date or its text; kept as "YYYY-MM-DD"."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ConfigError(
            key, f"{show_value(value)} is not a date", "give YYYY-MM-DD", rules.example
        )
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise ConfigError(
            key, f"{show_value(value)} is not a date ({exc})", "give YYYY-MM-DD", rules.example
        ) from None


def text_list(key: str, value: Any, rules: Rules, secret: bool = False) -> tuple[str, ...]:
    """A list of single-line strings (a lone string is a one-item list)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(
            key, f"expected a list, got {show_value(value)}", "give a YAML list", rules.example
        )
    items = []
    for item in value:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            raise _quote_hint(key, item, secret)
        if not isinstance(item, str) or not item:
            shown = "an item" if secret else f"item {show_value(item)}"
            raise ConfigError(
                key, f"{shown} is not text", "give a YAML list of text", rules.example
            )
        items.append(text(key, item, rules, secret))
    return tuple(items)


def regex_list(key: str, value: Any, rules: Rules) -> tuple[str, ...]:
    patterns = text_list(key, value, rules)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                key,
                f"{show_value(pattern)} is not a regular expression ({exc})",
                "",
                rules.example,
            ) from None
    return patterns


def text_mapping(key: str, value: Any, rules: Rules) -> dict[str, str]:
    """A mapping of text to text, ordered by key (same config, same rendered bytes)."""
    if not isinstance(value, dict):
        raise ConfigError(
            key,
            f"expected a mapping, got {show_value(value)}",
            "give a YAML mapping",
            rules.example,
        )
    result = {}
    for name, item in value.items():
        if not isinstance(name, str) or not _CONTROLS.isdisjoint(name):
            raise ConfigError(key, f"entry {show_value(name)} is not a single-line name", "")
        try:
            result[name] = text(key, item, Rules())
        except ConfigError as exc:
            raise ConfigError(key, f"entry {show_value(name)}: {exc.problem}", exc.fix) from None
    return dict(sorted(result.items()))


def _json_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(key, "a number is not finite", "give a finite number")
        return value
    if isinstance(value, list):
        return [_json_value(key, item) for item in value]
    if isinstance(value, dict):
        return _json_object(key, value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        raise ConfigError(key, "YAML read a value as a date", "quote it to keep it as text")
    raise ConfigError(key, f"{type(value).__name__} is not a JSON value", "use JSON values")


def _json_object(key: str, value: dict[Any, Any]) -> dict[str, Any]:
    result = {}
    for name, item in value.items():
        if not isinstance(name, str):
            raise ConfigError(key, f"name {show_value(name)} is not text", "quote it")
        result[name] = _json_value(key, item)
    return dict(sorted(result.items()))


def json_mapping(key: str, value: Any, rules: Rules) -> dict[str, Any]:
    """A mapping whose values keep their JSON types (numbers, booleans, lists, null)."""
    if not isinstance(value, dict):
        raise ConfigError(
            key,
            f"expected a mapping, got {show_value(value)}",
            "give a YAML mapping",
            rules.example,
        )
    return _json_object(key, value)


# What a multi-line document may contain: tabs and line breaks, no other control character.
_DOCUMENT_CONTROLS = _CONTROLS - {"\t", "\n", "\r", "\x85", "\u2028", "\u2029"}


def _document(key: str, value: Any, rules: Rules, what: str, secret: bool) -> str:
    if not isinstance(value, str):
        shown = "a value of another type" if secret else show_value(value)
        raise ConfigError(key, f"expected {what}, got {shown}", "give it as text", rules.example)
    if rules.max_length is not None and len(value) > rules.max_length:
        raise ConfigError(
            key,
            f"is {len(value)} characters long, at most {rules.max_length} are accepted",
            f"give a document of at most {rules.max_length} characters",
        )
    if not _DOCUMENT_CONTROLS.isdisjoint(value):
        raise ConfigError(key, "contains a control character", "remove it", rules.example)
    return value


def xml_document(key: str, value: Any, rules: Rules) -> str:
    """A well-formed XML document (no DTD, no entity declaration), kept as given."""
    from xml.etree.ElementTree import ParseError

    from .saml_values import UnsafeXML, parse_xml_safely

    text = _document(key, value, rules, "an XML document", secret=False)
    if not text.strip():
        return ""
    try:
        parse_xml_safely(text)
    except UnsafeXML as exc:
        raise ConfigError(key, str(exc), "give the metadata without a DOCTYPE", None) from None
    except ParseError as exc:
        raise ConfigError(
            key, f"is not well-formed XML ({exc})", "give the document as the IdP publishes it"
        ) from None
    return text


def private_key(key: str, value: Any, rules: Rules) -> str:
    """An unencrypted RSA private key in PEM (PKCS#1 or PKCS#8), never shown."""
    from .saml_values import KeyProblem, load_private_key

    text = _document(key, value, rules, "a PEM private key", secret=True)
    try:
        load_private_key(text)
    except KeyProblem as exc:
        raise ConfigError(key, f"the value {exc}", rules.chars or "", rules.example) from None
    return text


def certificate(key: str, value: Any, rules: Rules) -> str:
    """An X.509 certificate in PEM (or its bare base64 body), kept as its base64 DER body."""
    text = _document(key, value, rules, "a PEM certificate", secret=False)
    if not text.strip():
        return ""
    from cryptography import x509

    from .metadata_tools import MetadataProblem, certificate_body

    fix = "give the PEM file's text (-----BEGIN CERTIFICATE----- ...)"
    try:
        body = certificate_body(text)
    except MetadataProblem as exc:
        raise ConfigError(key, f"the value {exc}", fix, rules.example) from None
    import base64

    try:
        x509.load_der_x509_certificate(base64.b64decode(body))
    except ValueError:
        raise ConfigError(
            key, "the value is not a readable X.509 certificate", fix, rules.example
        ) from None
    return body


Parser = Callable[[str, Any, Rules], Any]

PARSERS: dict[Kind, Parser] = {
    TEXT: text,
    CHOICE: text,
    URL: text,  # and then parsed as a URL by url_values
    ENDPOINT: text,
    SECRET: lambda key, value, rules: text(key, value, rules, secret=True),
    DATE: date,
    BOOLEAN: lambda key, value, rules: boolean(key, value),
    INTEGER: integer,
    LIST: text_list,
    SECRET_LIST: lambda key, value, rules: text_list(key, value, rules, secret=True),
    REGEX_LIST: regex_list,
    MAPPING: text_mapping,
    JSON_MAPPING: json_mapping,
    SWITCH: lambda key, value, rules: value if isinstance(value, bool) else text(key, value, rules),
    XML: xml_document,
    PRIVATE_KEY: private_key,
    CERTIFICATE: certificate,
}
