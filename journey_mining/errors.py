"""The one error type the product raises for problems a user can fix (bad input, busy database)."""


class JourneyError(Exception):
    """A failure with a one-line message meant for the person running the job."""
