"""journey_mining: discover the customer journeys people actually take from their event data."""

__version__ = "0.1.0"
