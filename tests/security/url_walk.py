"""Every URL of the URLconf, with sample values for its parameters (converters and regexes)."""

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

# Tried in turn until the pattern's own regex (and converter) accepts one.
SAMPLES = ["po-sample-1", "1", "auth", "00000000-0000-4000-8000-000000000001", "x", "a/b"]


def _fill(pattern) -> str | None:
    """A string the pattern matches in full, or None if no sample fits."""
    regex = pattern.regex.pattern
    for template, params in normalize(regex):
        candidates = [{}]
        for param in params:
            candidates = [{**c, param: s} for c in candidates for s in SAMPLES]
        for values in candidates:
            text = template % values
            match = pattern.match(text)
            if match and match[0] == "":
                return text
    return None


def all_urls(resolver: URLResolver | None = None, prefix: str = "/") -> list[tuple[str, str]]:
    """(url, name) for every endpoint, namespaced names where they have one."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        part = _fill(entry.pattern)
        if part is None:
            raise AssertionError(f"no sample value fits {entry.pattern!r}; add one to SAMPLES")
        if isinstance(entry, URLResolver):
            found += all_urls(entry, prefix + part)
        elif isinstance(entry, URLPattern):
            found.append((prefix + part, entry.name or entry.lookup_str))
    return found
