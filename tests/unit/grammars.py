"""Oracles for RFC 1123 and Kubernetes label grammars, written character by character (no regular
expressions), so the product's regex-based validators are checked against an independent reading."""
import string

LOWER_ALNUM = set(string.ascii_lowercase + string.digits)
ALNUM = set(string.ascii_letters + string.digits)


def dns_label(s):
    return 1 <= len(s) <= 63 and set(s) <= LOWER_ALNUM | {"-"} and s[0] in LOWER_ALNUM and s[-1] in LOWER_ALNUM


def dns_subdomain(s):
    if not 1 <= len(s) <= 253:
        return False
    for part in s.split("."):
        if not part or not set(part) <= LOWER_ALNUM | {"-"} or part[0] not in LOWER_ALNUM \
                or part[-1] not in LOWER_ALNUM:
            return False
    return True


def label_value(s):
    return 1 <= len(s) <= 63 and set(s) <= ALNUM | set("-_.") and s[0] in ALNUM and s[-1] in ALNUM


def label_key(s):
    if s.count("/") > 1:
        return False
    if "/" in s:
        prefix, name = s.split("/")
        if not dns_subdomain(prefix):
            return False
    else:
        name = s
    return label_value(name)
