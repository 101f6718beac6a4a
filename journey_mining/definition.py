"""Journey definitions (SPEC section 3): the assumed journey as YAML, loaded and validated.

Every problem is reported before any work, as `FILE:LINE: problem`, so an analyst can go straight
to the line. The YAML is read node by node (not with safe_load) to know each value's line and to
reject keys given twice, which safe_load would silently let the last one win.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from journey_mining.errors import UsageError

MATCH_TEXT_KEYS = ("source", "event", "object", "action", "channel")
MATCH_KEYS = MATCH_TEXT_KEYS + ("url", "properties")
FUNNEL_ORDERS = ("sequential", "strict", "any")
DURATION = re.compile(r"^(\d+)([smhd])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a definition name becomes a folder name


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
class Definition:
    name: str
    path: Path
    scope: Match | None
    cut: Cut
    stages: tuple[Stage, ...]
    allowed: tuple[tuple[str, str], ...]
    funnels: tuple[Funnel, ...]

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
        return int(found.group(1)) * SECONDS[found.group(2)]

    def definition(self, root: yaml.Node | None) -> Definition:
        entries = self.mapping(root, "the definition",
                               ("name", "scope", "cut", "stages", "allowed", "funnels"), ("name", "stages"))
        name_node = entries["name"][1]
        name = self.text(name_node, "name")
        if not NAME.match(name):
            raise self.fail(name_node, f"name {name!r} may hold only letters, digits, '_', '-' and '.'")
        scope = self.match(entries["scope"][1], "scope") if "scope" in entries else None
        cut = self.cut(entries["cut"][1]) if "cut" in entries else Cut()
        stages = self.stages(entries["stages"][1])
        touchpoints = {t.name for stage in stages for t in stage.touchpoints}
        if not any(t.goal for stage in stages for t in stage.touchpoints):
            raise self.fail(entries["stages"][0], "the definition has no goal: mark a touchpoint with `goal: true`")
        allowed = self.allowed(entries["allowed"][1], touchpoints) if "allowed" in entries else ()
        funnels = self.funnels(entries["funnels"][1], touchpoints) if "funnels" in entries else ()
        return Definition(name, self.path, scope, cut, stages, allowed, funnels)

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
            stage_name = self.text(name_node, "stage name")
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
                tp_name = self.text(tp_name_node, "touchpoint name")
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
            name = self.text(name_node, "funnel name")
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

    def touchpoint_ref(self, node: yaml.Node, touchpoints: set[str], where: str) -> str:
        name = self.text(node, f"a touchpoint in {where}")
        if name not in touchpoints:
            raise self.fail(node, f"unknown touchpoint {name!r} in {where}")
        return name
