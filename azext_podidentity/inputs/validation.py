# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""Pure checks of what users type. Each failure names the option and the rule it breaks.

They raise ``InvalidOptionValue``, a ``ValueError``: raised from a command validator, azure-cli reports it
as an argument error (exit code 2) before the command sends any request.
"""
import re


class InvalidOptionValue(ValueError):
    pass


_ALNUM_EDGES = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL = re.compile(_ALNUM_EDGES)
_DNS_SUBDOMAIN = re.compile(rf"{_ALNUM_EDGES}(\.{_ALNUM_EDGES})*")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_IDENTITY_ID = re.compile(
    rf"/subscriptions/(?P<subscription>{GUID})/resourceGroups/(?P<resource_group>[-\w._()]+)"
    r"/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[-\w]+)", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

DNS_SUBDOMAIN_RULE = ("a DNS subdomain name (RFC 1123): at most 253 characters of lower-case letters, digits, '-' "
                      "and '.', each dot-separated part starting and ending with a letter or digit")
DNS_LABEL_RULE = ("a DNS label (RFC 1123): at most 63 characters of lower-case letters, digits and '-', "
                  "starting and ending with a letter or digit")
LABEL_VALUE_RULE = ("a Kubernetes label value: at most 63 characters of letters, digits, '-', '_' and '.', "
                    "starting and ending with a letter or digit")
LABEL_KEY_RULE = ("a Kubernetes label key: an optional DNS subdomain prefix and '/', then a name of at most 63 "
                  "characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit")


def _fail(option, value, rule):
    raise InvalidOptionValue(f"{option} {value!r} is invalid: it must be {rule}.")


def is_dns_subdomain(value):
    return isinstance(value, str) and len(value) <= 253 and bool(_DNS_SUBDOMAIN.fullmatch(value))


def is_dns_label(value):
    return isinstance(value, str) and len(value) <= 63 and bool(_DNS_LABEL.fullmatch(value))


def is_label_value(value):
    return isinstance(value, str) and len(value) <= 63 and bool(_LABEL_NAME.fullmatch(value))


def is_label_key(value):
    if not isinstance(value, str):
        return False
    prefix, _, name = value.rpartition("/")
    if "/" in value and not is_dns_subdomain(prefix):
        return False
    return len(name) <= 63 and bool(_LABEL_NAME.fullmatch(name))


def check_dns_subdomain(value, option):
    if not is_dns_subdomain(value):
        _fail(option, value, DNS_SUBDOMAIN_RULE)
    return value


def check_dns_label(value, option):
    if not is_dns_label(value):
        _fail(option, value, DNS_LABEL_RULE)
    return value


def check_label_value(value, option):
    if not is_label_value(value):
        _fail(option, value, LABEL_VALUE_RULE)
    return value


def parse_pod_labels(items, option="--pod-labels"):
    """``["k=v", ...]`` to a dict; at least one pair, each key once, Kubernetes label rules."""
    if not items:
        raise InvalidOptionValue(f"{option} needs at least one label in the form key=value.")
    labels = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidOptionValue(f"{option} {item!r} is invalid: each label must be key=value.")
        if not is_label_key(key):
            _fail(option, key, LABEL_KEY_RULE)
        if not (value == "" or is_label_value(value)):
            _fail(option, value, LABEL_VALUE_RULE + " (or empty)")
        if key in labels:
            raise InvalidOptionValue(f"{option} repeats the label key {key!r}: each key may appear once.")
        labels[key] = value
    return labels


def parse_identity_resource_id(value, option="--identity-resource-id"):
    """Return (subscription, resource group, name) of a user-assigned identity's resource id."""
    m = _IDENTITY_ID.fullmatch(value or "")
    if not m:
        raise InvalidOptionValue(
            f"{option} {value!r} is invalid: it must be the resource id of a user-assigned identity, "
            "/subscriptions/<subscription id>/resourceGroups/<group>/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/<name>.")
    return m.group("subscription"), m.group("resource_group"), m.group("name")


def parse_custom_headers(value, option="--aks-custom-headers"):
    """``"Key=Value,Key2=Value2"`` to a dict. Rejects control characters, which could split HTTP headers."""
    if value is None:
        return {}
    headers = {}
    for pair in value.split(","):
        key, sep, header_value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidOptionValue(f"{option} {pair!r} is invalid: each header must be Key=Value, "
                                     "separated by commas.")
        if _CONTROL_CHARS.search(pair) or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", key):
            raise InvalidOptionValue(f"{option} {pair!r} is invalid: header names are HTTP tokens and "
                                     "neither names nor values may hold control characters or line breaks.")
        headers[key] = header_value.strip()
    return headers
