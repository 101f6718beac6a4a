"""The one error type the product raises for problems a user can fix (bad input, busy database)."""


class JourneyError(Exception):
    """A failure with a one-line message meant for the person running the job."""


class UsageError(JourneyError):
    """The command was asked for something it cannot do as given (exit code 2): an unknown time zone,
    an invalid journey definition."""
