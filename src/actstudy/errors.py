"""Errors a user can cause, each ending in one sentence that names the fix."""


class ConfigError(ValueError):
    """A study configuration that cannot run; the message is one sentence per problem, each on
    its own line, naming the key and the fix."""
