"""LR schedulers by name, with Dassl's constant/linear warm-up wrappers.

The wrappers reproduce the original per-epoch LR sequences but keep plain state: the wrapped
scheduler is saved as its ``state_dict()`` (so checkpoints load with ``weights_only=True``) and
both that form and the original pickled-object form load back into the *live* scheduler, so a
resumed run continues the schedule.
"""
from torch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, MultiStepLR, StepLR

AVAILABLE_LR_SCHEDULERS = ["single_step", "multi_step", "cosine"]
AVAILABLE_WARMUP_TYPES = ["constant", "linear"]


class _BaseWarmupScheduler(LRScheduler):
    """Runs its own warm-up LRs for ``warmup_epoch`` steps, then steps ``successor`` only."""

    def __init__(self, optimizer, successor, warmup_epoch, last_epoch=-1):
        self.successor = successor
        self.warmup_epoch = warmup_epoch
        super().__init__(optimizer, last_epoch)

    def warmup_lrs(self):
        raise NotImplementedError

    def get_lr(self):
        if self.last_epoch >= self.warmup_epoch:
            return self.successor.get_last_lr()
        return self.warmup_lrs()

    def step(self, epoch=None):
        if self.last_epoch >= self.warmup_epoch:
            self.successor.step(epoch)
            self._last_lr = self.successor.get_last_lr()
        else:
            super().step(epoch)

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "successor")}
        state["successor"] = self.successor.state_dict()
        return state

    def load_state_dict(self, state_dict):
        """Accept our plain successor state or the original pickled successor object (take its state)."""
        state = dict(state_dict)
        successor_state = state.pop("successor")
        if isinstance(successor_state, LRScheduler):
            successor_state = {k: v for k, v in successor_state.__dict__.items() if k != "optimizer"}
        self.successor.load_state_dict(successor_state)
        self.__dict__.update(state)


class ConstantWarmupScheduler(_BaseWarmupScheduler):
    """LR ``cons_lr`` for the first ``warmup_epoch`` epochs."""

    def __init__(self, optimizer, successor, warmup_epoch, cons_lr, last_epoch=-1):
        self.cons_lr = cons_lr
        super().__init__(optimizer, successor, warmup_epoch, last_epoch)

    def warmup_lrs(self):
        return [self.cons_lr for _ in self.base_lrs]


class LinearWarmupScheduler(_BaseWarmupScheduler):
    """``min_lr`` at epoch 0, then ``base_lr * e / warmup_epoch`` (the original's ramp)."""

    def __init__(self, optimizer, successor, warmup_epoch, min_lr, last_epoch=-1):
        self.min_lr = min_lr
        super().__init__(optimizer, successor, warmup_epoch, last_epoch)

    def warmup_lrs(self):
        if self.last_epoch == 0:
            return [self.min_lr for _ in self.base_lrs]
        return [lr * self.last_epoch / self.warmup_epoch for lr in self.base_lrs]


def build_lr_scheduler(optimizer, optim_cfg):
    """Base scheduler from ``LR_SCHEDULER``, wrapped in a warm-up when ``WARMUP_EPOCH > 0``.

    ``WARMUP_RECOUNT=False`` is rejected: the original gives distorted curves for it and no
    config uses it.
    """
    name = optim_cfg.LR_SCHEDULER
    if name not in AVAILABLE_LR_SCHEDULERS:
        raise ValueError(f"scheduler must be one of {AVAILABLE_LR_SCHEDULERS}, but got {name}")
    scheduler = _build_base_scheduler(optimizer, optim_cfg)
    if optim_cfg.WARMUP_EPOCH > 0:
        if not optim_cfg.WARMUP_RECOUNT:
            raise ValueError("OPTIM.WARMUP_RECOUNT=False is not supported; set it to True")
        warmup_type = optim_cfg.WARMUP_TYPE
        if warmup_type == "constant":
            scheduler = ConstantWarmupScheduler(optimizer, scheduler, optim_cfg.WARMUP_EPOCH, optim_cfg.WARMUP_CONS_LR)
        elif warmup_type == "linear":
            scheduler = LinearWarmupScheduler(optimizer, scheduler, optim_cfg.WARMUP_EPOCH, optim_cfg.WARMUP_MIN_LR)
        else:
            raise ValueError(f"OPTIM.WARMUP_TYPE must be one of {AVAILABLE_WARMUP_TYPES}, but got {warmup_type}")
    return scheduler


def _build_base_scheduler(optimizer, optim_cfg):
    stepsize, max_epoch = optim_cfg.STEPSIZE, optim_cfg.MAX_EPOCH
    if optim_cfg.LR_SCHEDULER == "single_step":
        if isinstance(stepsize, (list, tuple)):
            stepsize = stepsize[-1]
        if not isinstance(stepsize, int):
            raise TypeError(f"For single_step lr_scheduler, stepsize must be an integer, but got {type(stepsize)}")
        if stepsize <= 0:
            stepsize = max_epoch
        return StepLR(optimizer, step_size=stepsize, gamma=optim_cfg.GAMMA)
    if optim_cfg.LR_SCHEDULER == "multi_step":
        if not isinstance(stepsize, (list, tuple)):
            raise TypeError(f"For multi_step lr_scheduler, stepsize must be a list, but got {type(stepsize)}")
        return MultiStepLR(optimizer, milestones=list(stepsize), gamma=optim_cfg.GAMMA)
    return CosineAnnealingLR(optimizer, T_max=float(max_epoch))
