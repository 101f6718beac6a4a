"""Mapping events to touchpoints: a definition's `match` and `scope` rules as SQL predicates.

The predicates are built from validated definitions only: column names come from a fixed table
below, every value (names, globs, property keys and values) is a bound parameter.
"""

import json

from journey_mining.definition import PERSONA, SEGMENT_COLUMNS, Definition, Match

# match key -> events column (identifiers from this fixed table only, never from the YAML)
MATCH_COLUMNS = {"source": "source", "event": "event", "object": "object", "action": "action",
                 "channel": "channel"}
URL_PATH = "regexp_extract(page_url, '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1)"


class Parameters:
    """Collects bound values and hands out their `$name` placeholders."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.values: dict[str, object] = {}

    def bind(self, value: object) -> str:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return "$" + name


def match_predicate(match: Match, parameters: Parameters) -> str:
    """A SQL condition true for the events the rule matches; a field the event lacks never matches."""
    conditions = []
    for key, values in match.text.items():
        conditions.append(f"list_contains({parameters.bind(list(values))}, {MATCH_COLUMNS[key]})")
    if match.url is not None:
        conditions.append(f"{URL_PATH} like {parameters.bind(glob_to_like(match.url))} escape '\\'")
    for key, value in match.properties.items():
        pointer = parameters.bind(json_pointer(key))
        conditions.append(f"json_extract_string(properties, {pointer}) = {parameters.bind(property_text(value))}")
    return "(" + " and ".join(conditions) + ")" if conditions else "true"


def touchpoint_case(definition: Definition, parameters: Parameters) -> str:
    """A SQL expression giving each event its touchpoint's index: the first match in file order."""
    branches = [f"when {match_predicate(t.match, parameters)} then {index}"
                for index, t in enumerate(definition.touchpoints)]
    return "case " + " ".join(branches) + " end"


def segment_values(definition: Definition, parameters: Parameters) -> str:
    """A SQL expression giving each event the values of the definition's segments drawn from events (a
    list of texts in segment order; a JSON property as its text; null when the definition has none)."""
    values = []
    for segment in definition.segments:
        if segment.field in SEGMENT_COLUMNS:  # a name from that fixed list, never other text from the YAML
            values.append(f"cast({segment.field} as varchar)")
        elif segment.field != PERSONA:
            key = segment.field.removeprefix("properties.")
            values.append(f"json_extract_string(properties, {parameters.bind(json_pointer(key))})")
    return f"[{', '.join(values)}]" if values else "null::varchar[]"


def glob_to_like(glob: str) -> str:
    """The glob as a LIKE pattern: only `*` is special (any characters, `/` included)."""
    escaped = glob.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def json_pointer(key: str) -> str:
    """The JSON Pointer (RFC 6901) to a top-level property: any key as it is, only `~` and `/` escaped.

    Not a `$."key"` path: DuckDB reads no escapes but `\\"` and `\\\\` in those, so a key with a
    non-ASCII letter (which json.dumps writes as `\\u65e5`), a tab or a newline never matched.

    >>> json_pointer("日本/a~b")
    '/日本~1a~0b'
    """
    return "/" + key.replace("~", "~0").replace("/", "~1")


def property_text(value: object) -> str:
    """The text a property must have: a string as it is, any other YAML value as its JSON text.

    `json_extract_string` gives a JSON string's content and any other value's JSON text, so
    `{plan: 3}` matches both the number 3 and the text "3", as SPEC section 3 asks.
    """
    return value if isinstance(value, str) else json.dumps(value)
