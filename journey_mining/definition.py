"""Journey definitions (SPEC section 3): the assumed journey as YAML, loaded and validated.

Every problem is reported before any work, as `FILE:LINE: problem`, so an analyst can go straight
to the line. The YAML is read node by node (not with safe_load) to know each value's line and to
reject keys given twice, which safe_load would silently let the last one win.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from collections.abc import Iterable
from pathlib import Path

import yaml

from journey_mining.errors import UsageError, did_you_mean

MATCH_TEXT_KEYS = ("source", "event", "object", "action", "channel")
MATCH_KEYS = MATCH_TEXT_KEYS + ("url", "properties")
FUNNEL_ORDERS = ("sequential", "strict", "any")
# The event columns a segment may split by (SPEC 1; the e-mail only as its keyed hash, which says nothing
# of a kind of customer, and the time is what comparisons of periods are for), besides properties.<key>.
SEGMENT_COLUMNS = ("source", "event_id", "anonymous_id", "user_id", "customer_id", "event", "page_url",
                   "referrer", "utm_source", "utm_medium", "utm_campaign", "object", "action", "channel",
                   "amount", "score")
PERSONA = "persona"  # the segment field of the behavioural personas
DURATION = re.compile(r"^(\d+)([smhd])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DURATION_S = 3650 * 86400
MAX_NAME_CHARACTERS = 200
MAX_FOLDER_NAME_BYTES = 255  # the longest file name Linux and macOS file systems take, in UTF-8 bytes
PATH_JOIN = " > "  # joins a path's touchpoints in every export
# (start) and (end) are the ends of every path's transitions.
RESERVED_TOUCHPOINT_NAMES = ("(start)", "(end)")


class DefinitionError(UsageError):
    """An invalid journey definition: the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Match:
    """Which events a touchpoint (or the scope) takes: every given key must match."""

    text: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source/event/object/action/channel
    url: str | None = None  # glob on the URL's path; `*` matches anything, `/` included
    properties: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Touchpoint:
    name: str
    stage: str
    stage_index: int
    match: Match
    goal: bool


@dataclass(frozen=True)
class Stage:
    name: str
    index: int
    touchpoints: tuple[Touchpoint, ...]


@dataclass(frozen=True)
class Cut:
    inactivity_s: int = 30 * 86400
    end_on_goal: bool = True
    collapse_repeats: bool = True


@dataclass(frozen=True)
class Funnel:
    name: str
    steps: tuple[str, ...]
    order: str
    window_s: int | None  # None: no window


@dataclass(frozen=True)
class Segment:
    """A way to split journeys (SPEC 9): by the value of `field` on the event of a journey's first step,
    or by the person's persona (`field` = "persona")."""

    name: str
    field: str  # an events column, "properties.<key>" or "persona"


@dataclass(frozen=True)
class Alerts:
    """Which journeys the nightly structure alerts compare (SPEC 10), in whole days."""

    window_days: int = 7
    horizon_days: int = 7


@dataclass(frozen=True)
class Definition:
    name: str
    path: Path
    scope: Match | None
    cut: Cut
    stages: tuple[Stage, ...]
    allowed: tuple[tuple[str, str], ...]
    funnels: tuple[Funnel, ...]
    name_line: int  # where `name:` is, for problems found across files
    segments: tuple[Segment, ...] = ()
    alerts: Alerts = Alerts()

    @property
    def touchpoints(self) -> tuple[Touchpoint, ...]:
        """Every touchpoint in file order, which is also the order of first-match-wins mapping."""
        return tuple(t for stage in self.stages for t in stage.touchpoints)


def load(path: str | Path) -> Definition:
    """Read and validate one definition file; raise DefinitionError naming file, line and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError(f"{path}: cannot be read: {error}") from error
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise DefinitionError(f"{path}:{line}: not valid YAML: {getattr(error, 'problem', error)}") from error
    return _Reader(path).definition(root)


def load_all(paths: Iterable[str | Path]) -> list[Definition]:
    """The definitions of one run, each read as `load` does; two whose names would be one folder
    (the same name, or names differing only in letter case, as on a case-insensitive disk) fail."""
    definitions: list[Definition] = []
    folders: dict[str, Definition] = {}
    for path in paths:
        journey = load(path)
        other = folders.setdefault(folder_key(journey.name), journey)
        if other is not journey:
            where = f"{journey.path}:{journey.name_line}: definition name {journey.name!r}"
            if other.name == journey.name:
                raise DefinitionError(f"{where} is also the name in {other.path}:{other.name_line}; "
                                      "each definition needs a name of its own")
            raise DefinitionError(f"{where} differs only in letter case from {other.name!r} in "
                                  f"{other.path}:{other.name_line}; both would be one folder on a "
                                  "case-insensitive disk")
        definitions.append(journey)
    return definitions


def folder_key(name: str) -> str:
    """What a case-insensitive disk (macOS, Windows) sees of a folder name: Unicode's canonical
    caseless form, so `Übersicht`, `übersicht` and a `u` with a combining diaeresis are one folder.

    >>> folder_key("Übersicht") == folder_key("u\\u0308bersicht")
    True
    """
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


class _Reader:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, node: yaml.Node | None, problem: str) -> DefinitionError:
        line = node.start_mark.line + 1 if node is not None else 1
        return DefinitionError(f"{self.path}:{line}: {problem}")

    def mapping(self, node: yaml.Node | None, where: str, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """A mapping's entries by key (key node, value node); unknown, repeated or missing keys fail."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{where} must be a mapping")
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in allowed:
                raise self.fail(key_node, f"unknown key {key!r} in {where} (allowed: {', '.join(allowed)})")
            if key in entries:
                raise self.fail(key_node, f"key {key!r} given twice in {where}")
            entries[key] = (key_node, value_node)
        for key in required:
            if key not in entries:
                raise self.fail(node, f"{where} needs {key!r}")
        return entries

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{where} must be a list")
        return node.value

    def text(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str" or not node.value.strip():
            raise self.fail(node, f"{where} must be a non-empty text")
        return node.value

    def flag(self, node: yaml.Node, where: str) -> bool:
        value = yaml.safe_load(yaml.serialize(node)) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, bool):
            raise self.fail(node, f"{where} must be true or false")
        return value

    def duration(self, node: yaml.Node, where: str) -> int:
        found = DURATION.match(node.value) if isinstance(node, yaml.ScalarNode) else None
        if not found:
            raise self.fail(node, f"{where}: bad duration {getattr(node, 'value', '')!r} "
                                  "(an integer with s, m, h or d, e.g. 30d)")
        seconds = int(found.group(1)) * SECONDS[found.group(2)]
        if seconds > MAX_DURATION_S:
            raise self.fail(node, f"{where}: duration {node.value!r} is too long "
                                  f"(at most {MAX_DURATION_S // 86400} days)")
        return seconds

    def name(self, node: yaml.Node, what: str) -> str:
        """A name as it is written: 1-200 characters, each printable (letters, marks, digits, punctuation,
        symbols) or a space (the ideographic one of CJK text too), and no space at either end."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str":
            raise self.fail(node, f"{what} must be a text")
        name = node.value
        if not name:
            raise self.fail(node, f"{what} is empty")
        if len(name) > MAX_NAME_CHARACTERS:
            raise self.fail(node, f"{what} {name[:40]!r}… is {len(name)} characters long "
                                  f"(at most {MAX_NAME_CHARACTERS})")
        hidden = [character for character in name
                  if not character.isprintable() and unicodedata.category(character) != "Zs"]
        if hidden:
            raise self.fail(node, f"{what} {name!r} holds a control or invisible character "
                                  f"(U+{ord(hidden[0]):04X}); names are printable text")
        if name != name.strip():
            raise self.fail(node, f"{what} {name!r} begins or ends with a space")
        return name

    def touchpoint_name(self, node: yaml.Node) -> str:
        name = self.name(node, "touchpoint name")
        if name in RESERVED_TOUCHPOINT_NAMES:
            raise self.fail(node, f"touchpoint name {name!r} is reserved: (start) and (end) are where "
                                  "paths begin and end")
        # Paths join touchpoints with ` > `: a name holding it, or making it with a neighbour's
        # join (`A >`, `> B`, `>`), would let one path read as two different ones.
        if PATH_JOIN in f" {name} ":
            raise self.fail(node, f"touchpoint name {name!r} would make paths ambiguous: paths join "
                                  f"touchpoints with {PATH_JOIN!r}, so a name may not hold it, begin "
                                  "with '> ' or end with ' >'")
        return name

    def definition_name(self, node: yaml.Node) -> str:
        name = self.name(node, "name")
        # The name is the folder the run writes to.
        if name in (".", "..") or "/" in name or "\\" in name:
            raise self.fail(node, f"name {name!r} is also a folder name: it may not hold '/' or '\\' "
                                  "nor be '.' or '..'")
        if len(name.encode("utf-8")) > MAX_FOLDER_NAME_BYTES:
            raise self.fail(node, f"name {name!r} is too long for a folder name "
                                  f"({len(name.encode('utf-8'))} bytes in UTF-8; at most {MAX_FOLDER_NAME_BYTES})")
        return name

    def definition(self, root: yaml.Node | None) -> Definition:
        entries = self.mapping(root, "the definition",
                               ("name", "scope", "cut", "stages", "allowed", "funnels", "segments", "alerts"),
                               ("name", "stages"))
        name_node = entries["name"][1]
        name = self.definition_name(name_node)
        scope = self.match(entries["scope"][1], "scope") if "scope" in entries else None
        cut = self.cut(entries["cut"][1]) if "cut" in entries else Cut()
        stages = self.stages(entries["stages"][1])
        touchpoints = {t.name for stage in stages for t in stage.touchpoints}
        if not any(t.goal for stage in stages for t in stage.touchpoints):
            raise self.fail(entries["stages"][0], "the definition has no goal: mark a touchpoint with `goal: true`")
        allowed = self.allowed(entries["allowed"][1], touchpoints) if "allowed" in entries else ()
        funnels = self.funnels(entries["funnels"][1], touchpoints) if "funnels" in entries else ()
        segments = self.segments(entries["segments"][1]) if "segments" in entries else ()
        alerts = self.alerts(entries["alerts"][1]) if "alerts" in entries else Alerts()
        return Definition(name, self.path, scope, cut, stages, allowed, funnels, name_node.start_mark.line + 1,
                          segments, alerts)

    def match(self, node: yaml.Node, where: str) -> Match:
        entries = self.mapping(node, where, MATCH_KEYS)
        if not entries:
            raise self.fail(node, f"{where} must name at least one key ({', '.join(MATCH_KEYS)})")
        text: dict[str, tuple[str, ...]] = {}
        for key in MATCH_TEXT_KEYS:
            if key in entries:
                value = entries[key][1]
                if isinstance(value, yaml.SequenceNode):
                    values = tuple(self.text(item, f"{where}.{key}") for item in value.value)
                    if not values:
                        raise self.fail(value, f"{where}.{key} must list at least one value")
                else:
                    values = (self.text(value, f"{where}.{key}"),)
                text[key] = values
        url = self.text(entries["url"][1], f"{where}.url") if "url" in entries else None
        properties: dict[str, object] = {}
        if "properties" in entries:
            value = entries["properties"][1]
            if not isinstance(value, yaml.MappingNode):
                raise self.fail(value, f"{where}.properties must be a mapping of property to value")
            for key_node, value_node in value.value:
                key = self.text(key_node, f"{where}.properties key")
                if key in properties:
                    raise self.fail(key_node, f"key {key!r} given twice in {where}.properties")
                if not isinstance(value_node, yaml.ScalarNode):
                    raise self.fail(value_node, f"{where}.properties.{key} must be a single value")
                properties[key] = yaml.safe_load(yaml.serialize(value_node))
        return Match(text, url, properties)

    def cut(self, node: yaml.Node) -> Cut:
        entries = self.mapping(node, "cut", ("inactivity", "end_on_goal", "collapse_repeats"))
        defaults = Cut()
        return Cut(
            inactivity_s=self.duration(entries["inactivity"][1], "cut.inactivity")
            if "inactivity" in entries else defaults.inactivity_s,
            end_on_goal=self.flag(entries["end_on_goal"][1], "cut.end_on_goal")
            if "end_on_goal" in entries else defaults.end_on_goal,
            collapse_repeats=self.flag(entries["collapse_repeats"][1], "cut.collapse_repeats")
            if "collapse_repeats" in entries else defaults.collapse_repeats,
        )

    def stages(self, node: yaml.Node) -> tuple[Stage, ...]:
        stages: list[Stage] = []
        stage_names: set[str] = set()
        touchpoint_names: set[str] = set()
        items = self.sequence(node, "stages")
        if not items:
            raise self.fail(node, "stages must list at least one stage")
        for index, stage_node in enumerate(items):
            entries = self.mapping(stage_node, "a stage", ("name", "touchpoints"), ("name", "touchpoints"))
            name_node = entries["name"][1]
            stage_name = self.name(name_node, "stage name")
            if stage_name in stage_names:
                raise self.fail(name_node, f"stage name {stage_name!r} is used twice")
            stage_names.add(stage_name)
            touchpoints = []
            touchpoint_nodes = self.sequence(entries["touchpoints"][1], f"touchpoints of stage {stage_name!r}")
            if not touchpoint_nodes:
                raise self.fail(entries["touchpoints"][1], f"stage {stage_name!r} has no touchpoints")
            for touchpoint_node in touchpoint_nodes:
                fields = self.mapping(touchpoint_node, "a touchpoint", ("name", "match", "goal"), ("name", "match"))
                tp_name_node = fields["name"][1]
                tp_name = self.touchpoint_name(tp_name_node)
                if tp_name in touchpoint_names:
                    raise self.fail(tp_name_node, f"touchpoint name {tp_name!r} is used twice")
                touchpoint_names.add(tp_name)
                goal = self.flag(fields["goal"][1], f"goal of {tp_name!r}") if "goal" in fields else False
                match = self.match(fields["match"][1], f"match of {tp_name!r}")
                touchpoints.append(Touchpoint(tp_name, stage_name, index, match, goal))
            stages.append(Stage(stage_name, index, tuple(touchpoints)))
        return tuple(stages)

    def allowed(self, node: yaml.Node, touchpoints: set[str]) -> tuple[tuple[str, str], ...]:
        pairs = []
        for pair_node in self.sequence(node, "allowed"):
            items = self.sequence(pair_node, "an allowed transition")
            if len(items) != 2:
                raise self.fail(pair_node, "an allowed transition is a pair [from touchpoint, to touchpoint]")
            pair = tuple(self.touchpoint_ref(item, touchpoints, "allowed") for item in items)
            pairs.append(pair)
        return tuple(pairs)

    def funnels(self, node: yaml.Node, touchpoints: set[str]) -> tuple[Funnel, ...]:
        funnels = []
        names: set[str] = set()
        for funnel_node in self.sequence(node, "funnels"):
            entries = self.mapping(funnel_node, "a funnel", ("name", "steps", "order", "window"), ("name", "steps"))
            name_node = entries["name"][1]
            name = self.name(name_node, "funnel name")
            if name in names:
                raise self.fail(name_node, f"funnel name {name!r} is used twice")
            names.add(name)
            step_nodes = self.sequence(entries["steps"][1], f"steps of funnel {name!r}")
            if not step_nodes:
                raise self.fail(entries["steps"][1], f"funnel {name!r} has no steps")
            steps = tuple(self.touchpoint_ref(step, touchpoints, f"funnel {name!r}") for step in step_nodes)
            order = "sequential"
            if "order" in entries:
                order_node = entries["order"][1]
                order = order_node.value if isinstance(order_node, yaml.ScalarNode) else ""
                if order not in FUNNEL_ORDERS:
                    raise self.fail(order_node, f"funnel {name!r}: bad order {order!r} "
                                                f"(one of {', '.join(FUNNEL_ORDERS)})")
            window = self.duration(entries["window"][1], f"funnel {name!r} window") if "window" in entries else None
            funnels.append(Funnel(name, steps, order, window))
        return tuple(funnels)

    def segments(self, node: yaml.Node) -> tuple[Segment, ...]:
        segments: list[Segment] = []
        for segment_node in self.sequence(node, "segments"):
            entries = self.mapping(segment_node, "a segment", ("name", "by"), ("name", "by"))
            name_node, by_node = entries["name"][1], entries["by"][1]
            name = self.name(name_node, "segment name")
            if any(s.name == name for s in segments):
                raise self.fail(name_node, f"segment name {name!r} is used twice")
            field = self.text(by_node, f"segment {name!r}: by")
            key = field.removeprefix("properties.")
            if field not in SEGMENT_COLUMNS + (PERSONA,) and not (field.startswith("properties.") and key):
                raise self.fail(by_node, f"segment {name!r}: cannot split by {field!r} (an event column: "
                                         f"{', '.join(SEGMENT_COLUMNS)}; properties.<key>; or persona)")
            segments.append(Segment(name, field))
        return tuple(segments)

    def alerts(self, node: yaml.Node) -> Alerts:
        entries = self.mapping(node, "alerts", ("window", "horizon"))
        days = {}
        for key in ("window", "horizon"):
            if key in entries:
                value = entries[key][1]
                seconds = self.duration(value, f"alerts.{key}")
                if seconds == 0 or seconds % SECONDS["d"]:
                    raise self.fail(value, f"alerts.{key}: {value.value!r} is not a whole number of days "
                                           "(alerts compare whole UTC days, e.g. 7d)")
                days[key] = seconds // SECONDS["d"]
        return Alerts(window_days=days.get("window", 7), horizon_days=days.get("horizon", 7))

    def touchpoint_ref(self, node: yaml.Node, touchpoints: set[str], where: str) -> str:
        name = self.text(node, f"a touchpoint in {where}")
        if name not in touchpoints:
            raise self.fail(node, f"unknown touchpoint {name!r} in {where}" + did_you_mean(name, touchpoints))
        return name
