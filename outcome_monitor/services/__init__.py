"""Use-cases: the only code that writes. Each owns its transaction and its audit row."""


class ServiceError(Exception):
    """A request that cannot be carried out; the message is safe to show to the user."""


class NotFound(ServiceError):
    """The object does not exist or the actor may not see it (the two are not told apart)."""
