"""User-facing configuration errors: ``train.py`` prints them as one line, without a traceback."""


class ConfigError(ValueError):
    """A configuration value the user can fix; the message names the key and the fix."""


class ConfigLookupError(ConfigError, KeyError):
    """A key (or a name a key holds) that does not exist; also a ``KeyError``, as yacs raises for unknown keys."""

    def __str__(self):
        return Exception.__str__(self)  # KeyError would quote the message
