"""ASP.NET-style route templates as the Functions host reads them.

Supported: literal segments (case-insensitive), `{name}`, `{name:constraint}` (int, long,
bool, alpha, guid, double, float, decimal, datetime, minlength(n), maxlength(n),
length(n)), optional `{name?}`, defaults `{name=value}` and catch-all `{*name}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?i:true|false)",
    "alpha": r"[A-Za-z]+",
    "guid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
    "double": r"-?\d+(?:\.\d+)?",
    "float": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
    "datetime": r"[^/]+",
}
_PARAM = re.compile(
    r"^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+)(?:\(([^)]*)\))?)?(\?)?(?:=([^}]*))?\}$"
)


@dataclass
class RouteTemplate:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    defaults: dict[str, str]

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match("/" + path.strip("/"))
        if found is None:
            return None
        values = {k: v for k, v in found.groupdict().items() if v is not None}
        return {**self.defaults, **values}


_LENGTHS = {"minlength": "{%s,}", "maxlength": "{0,%s}", "length": "{%s}"}


def _constraint(name: str | None, argument: str | None) -> str:
    kind = (name or "").lower()
    if kind in _LENGTHS and argument and argument.strip().isdigit():
        return "[^/]" + _LENGTHS[kind] % argument.strip()
    return _CONSTRAINTS.get(kind, r"[^/]+")


def compile_route(template: str) -> RouteTemplate:
    segments = [s for s in template.strip("/").split("/") if s]
    regex = ""
    literals = 0
    defaults: dict[str, str] = {}
    for segment in segments:
        param = _PARAM.match(segment)
        if param is None:
            regex += "/" + re.escape(segment)
            literals += 1
            continue
        catch_all, name, constraint, argument, optional, default = param.groups()
        body = ".*" if catch_all else _constraint(constraint, argument)
        if default is not None:
            defaults[name] = default
        if optional or default is not None or catch_all:
            regex += f"(?:/(?P<{name}>{body}))?"
        else:
            regex += f"/(?P<{name}>{body})"
    pattern = re.compile("^" + regex + "/?$", re.IGNORECASE)
    return RouteTemplate(template, pattern, literals, defaults)
