"""Features that stay constant during one evaluation, computed once instead of once per test batch."""
from contextlib import contextmanager


class EvaluationCache:
    """Memoises image-independent features (class text features) while an evaluation is running.

    Outside `active()` nothing is cached, so training always sees features of the current parameters.
    """

    def __init__(self, enabled=True):
        self.enabled = enabled  # False: recompute per test batch, the original behaviour (for timing)
        self._values = None

    @contextmanager
    def active(self):
        self._values = {} if self.enabled else None
        try:
            yield self
        finally:
            self._values = None

    def get(self, key, compute):
        if self._values is None:
            return compute()
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]
