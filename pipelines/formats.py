"""How mined numbers are shown to people: rates as percentages, durations in a readable unit, tables."""

from collections.abc import Sequence

from journey_mining.checks import StageKpi

NONE = "-"  # a rate or median without journeys to compute it over
STAGE_COLUMNS = ("stage", "reached", "dropped", "drop-off rate", "median time to reach")
UNITS = (("d", 86400), ("h", 3600), ("min", 60))


def rate(fraction: float | None) -> str:
    return NONE if fraction is None else f"{fraction:.1%}"


def duration(seconds: float | None) -> str:
    """Seconds in the largest unit they fill (days, hours, minutes), else in seconds."""
    if seconds is None:
        return NONE
    for unit, size in UNITS:
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def stage_rows(stages: Sequence[StageKpi]) -> list[tuple[str, ...]]:
    """One row of text per stage, in STAGE_COLUMNS."""
    return [(stage.stage, f"{stage.journeys_reached:,}", f"{stage.journeys_dropped:,}",
             rate(stage.drop_off_rate), duration(stage.median_s_to_reach)) for stage in stages]


def markdown(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (for Dagster's UI); `|` in a cell is escaped, None is left empty."""
    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)
