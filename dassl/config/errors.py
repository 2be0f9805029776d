"""User-facing configuration errors: ``train.py`` prints them as one line, without a traceback."""
from dassl.utils import check_availability


class ConfigError(ValueError):
    """A configuration value the user can fix; the message names the key and the fix."""


class ConfigLookupError(ConfigError, KeyError):
    """A key (or a name a key holds) that does not exist; also a ``KeyError``, as yacs raises for unknown keys."""

    def __str__(self):
        return Exception.__str__(self)  # KeyError would quote the message


def check_config_choice(key, value, choices):
    """Dassl's availability check (its message names the closest choice) as a ConfigError naming ``key``."""
    try:
        check_availability(value, choices)
    except ValueError as error:
        raise ConfigError(f"{key}: {error}") from None
