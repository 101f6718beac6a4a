"""The one error type the product raises for problems a user can fix (bad input, busy database), and the
hint its messages give for a mistyped name."""

import difflib
from collections.abc import Iterable


class JourneyError(Exception):
    """A failure with a one-line message meant for the person running the job."""


class UsageError(JourneyError):
    """The command was asked for something it cannot do as given (exit code 2): an unknown time zone,
    an invalid journey definition."""


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """" (did you mean 'X'?)" with the one of `names` closest to a mistyped `name`; "" when none is close."""
    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
