"""Trainer loop, model registry, checkpointing and evaluation with Dassl's names and log lines."""
import datetime
import os
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
from tqdm import tqdm

from dassl.data import DataManager, set_loader_epoch
from dassl.evaluation import build_evaluator
from dassl.engine import distributed
from dassl.utils import (
    AverageMeter,
    MetricMeter,
    flush_logger,
    is_main_process,
    load_checkpoint,
    read_checkpoint_pointer,
    resume_from_checkpoint,
    save_checkpoint,
    tolist_if_not,
)


class TrainerBase:
    """Registered models/optimizers/schedulers and the generic epoch loop with hooks."""

    def __init__(self):
        self._models = OrderedDict()
        self._optims = OrderedDict()
        self._scheds = OrderedDict()
        self._writer = None

    def register_model(self, name="model", model=None, optim=None, sched=None):
        for attr, label in (("_models", "model"), ("_optims", "optim"), ("_scheds", "sched")):
            if self.__dict__.get(attr) is None:
                raise AttributeError(f"Cannot assign {label} before super().__init__() call")
        assert name not in self._models, "Found duplicate model names"
        self._models[name] = model
        self._optims[name] = optim
        self._scheds[name] = sched

    def get_model_names(self, names=None):
        names_real = list(self._models.keys())
        if names is None:
            return names_real
        names = tolist_if_not(names)
        for name in names:
            assert name in names_real, f'Model "{name}" is not registered; registered: {names_real}'
        return names

    def save_model(self, epoch, directory, is_best=False, val_result=None, model_name=""):
        """Write one checkpoint per registered model under ``<directory>/<name>/`` (rank 0 only)."""
        if not is_main_process():
            return
        for name in self.get_model_names():
            optim, sched = self._optims[name], self._scheds[name]
            save_checkpoint(
                {
                    "state_dict": self._models[name].state_dict(),
                    "epoch": epoch + 1,
                    "optimizer": optim.state_dict() if optim is not None else None,
                    "scheduler": sched.state_dict() if sched is not None else None,
                    "val_result": val_result,
                },
                os.path.join(directory, name),
                is_best=is_best,
                model_name=model_name,
            )

    def resume_model_if_exist(self, directory):
        """Resume every registered model from its latest regular checkpoint; return the epoch to start at."""
        names = self.get_model_names()
        if not names or not all(read_checkpoint_pointer(os.path.join(directory, name)) for name in names):
            print("No checkpoint found, train from scratch")
            return 0
        print(f"Found checkpoint at {directory} (will resume training)")
        start_epoch = 0
        for name in names:
            start_epoch = resume_from_checkpoint(
                os.path.join(directory, name), self._models[name], self._optims[name], self._scheds[name]
            )
        return start_epoch

    def load_model(self, directory, epoch=None):
        if not directory:
            print("Note that load_model() is skipped as no pretrained model is given (ignore this if it's done on purpose)")
            return
        model_file = "model-best.pth.tar" if epoch is None else f"model.pth.tar-{epoch}"
        for name in self.get_model_names():
            model_path = os.path.join(directory, name, model_file)
            if not os.path.exists(model_path):
                raise FileNotFoundError(f"No model at {model_path}")
            checkpoint = load_checkpoint(model_path)
            val_result = checkpoint.get("val_result")
            val_text = "None" if val_result is None else f"{val_result:.2f}"
            print(f"Load {model_path} to {name} (epoch={checkpoint['epoch']}, val_result={val_text})")
            self._models[name].load_state_dict(checkpoint["state_dict"])

    def set_model_mode(self, mode="train", names=None):
        """Switch only the registered modules, so frozen encoders outside them stay in eval mode."""
        for name in self.get_model_names(names):
            if mode == "train":
                self._models[name].train()
            elif mode in ("test", "eval"):
                self._models[name].eval()
            else:
                raise KeyError(f'Unknown model mode "{mode}"; use "train", "test" or "eval"')

    def update_lr(self, names=None):
        for name in self.get_model_names(names):
            if self._scheds[name] is not None:
                self._scheds[name].step()

    def detect_anomaly(self, loss):
        if not torch.isfinite(loss).all():
            raise FloatingPointError("Loss is infinite or NaN!")

    def init_writer(self, log_dir):
        """Create a TensorBoard writer on request; tensorboard is imported only here."""
        if self.__dict__.get("_writer") is None:
            from torch.utils.tensorboard import SummaryWriter

            print(f"Initialize tensorboard (log_dir={log_dir})")
            self._writer = SummaryWriter(log_dir=log_dir)

    def close_writer(self):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def write_scalar(self, tag, scalar_value, global_step=None):
        if self._writer is not None:
            self._writer.add_scalar(tag, scalar_value, global_step)

    def train(self, start_epoch, max_epoch):
        self.start_epoch = start_epoch
        self.max_epoch = max_epoch
        self.before_train()
        for self.epoch in range(self.start_epoch, self.max_epoch):
            distributed.start_epoch(getattr(self, "train_loader_x", None), self.epoch)
            for loader in (getattr(self, "train_loader_x", None), getattr(self, "train_loader_u", None)):
                set_loader_epoch(loader, self.epoch)
            self.before_epoch()
            self.run_epoch()
            self.after_epoch()
        self.after_train()

    def before_train(self):
        pass

    def after_train(self):
        pass

    def before_epoch(self):
        pass

    def after_epoch(self):
        pass

    def run_epoch(self):
        raise NotImplementedError

    def test(self, split=None, is_final=False):
        raise NotImplementedError

    def parse_batch_train(self, batch):
        raise NotImplementedError

    def parse_batch_test(self, batch):
        raise NotImplementedError

    def forward_backward(self, batch):
        raise NotImplementedError

    def model_inference(self, input):
        raise NotImplementedError

    def model_zero_grad(self, names=None):
        for name in self.get_model_names(names):
            if self._optims[name] is not None:
                self._optims[name].zero_grad()

    def model_backward(self, loss):
        self.detect_anomaly(loss)
        loss.backward()

    def model_update(self, names=None):
        distributed.average_gradients(self._models[name] for name in self.get_model_names(names))
        for name in self.get_model_names(names):
            if self._optims[name] is not None:
                self._optims[name].step()

    def model_backward_and_update(self, loss, names=None):
        self.model_zero_grad(names)
        self.model_backward(loss)
        self.model_update(names)


class SimpleTrainer(TrainerBase):
    """Builds data, model and evaluator from the config; tests and checkpoints after epochs."""

    def __init__(self, cfg):
        super().__init__()
        self.check_cfg(cfg)
        self.device = distributed.training_device(cfg.USE_CUDA)
        self.start_epoch = self.epoch = 0
        self.max_epoch = cfg.OPTIM.MAX_EPOCH
        self.output_dir = cfg.OUTPUT_DIR
        self.cfg = cfg
        self.build_data_loader()
        self.build_model()
        self.evaluator = build_evaluator(cfg, lab2cname=self.lab2cname)
        self.best_result = -np.inf

    def check_cfg(self, cfg):
        """Hook for trainers to assert config values before anything is built."""

    def build_data_loader(self):
        dm = DataManager(self.cfg)
        self.train_loader_x = distributed.shard_train_loader(dm.train_loader_x, self.cfg.SEED)
        self.train_loader = self.train_loader_x
        self.train_loader_u = dm.train_loader_u
        self.val_loader = dm.val_loader
        self.test_loader = dm.test_loader
        self.num_classes = dm.num_classes
        self.num_source_domains = dm.num_source_domains
        self.lab2cname = dm.lab2cname
        self.dm = dm

    def build_model(self):
        raise NotImplementedError(f"{type(self).__name__} must implement build_model() and register its models")

    def train(self):
        super().train(self.start_epoch, self.max_epoch)

    def before_train(self):
        directory = self.cfg.RESUME or self.output_dir
        self.start_epoch = self.resume_model_if_exist(directory)
        distributed.broadcast_parameters(self._models.values())
        self.time_start = time.time()

    def after_train(self):
        print("Finish training")
        if not self.cfg.TEST.NO_TEST:
            if self.cfg.TEST.FINAL_MODEL == "best_val":
                print("Deploy the model with the best val performance")
                self.load_model(self.output_dir)
            else:
                print("Deploy the last-epoch model")
            self.test()
        elapsed = round(time.time() - self.time_start)
        print(f"Elapsed: {datetime.timedelta(seconds=elapsed)}")
        self.close_writer()
        flush_logger()

    def after_epoch(self):
        last_epoch = (self.epoch + 1) == self.max_epoch
        do_test = not self.cfg.TEST.NO_TEST
        freq = self.cfg.TRAIN.CHECKPOINT_FREQ
        meet_checkpoint_freq = freq > 0 and (self.epoch + 1) % freq == 0
        if do_test and self.cfg.TEST.FINAL_MODEL == "best_val":
            curr_result = self.test(split="val")
            if curr_result > self.best_result:
                self.best_result = curr_result
                self.save_model(self.epoch, self.output_dir, val_result=curr_result, model_name="model-best.pth.tar")
        if meet_checkpoint_freq or last_epoch:
            self.save_model(self.epoch, self.output_dir)

    @torch.no_grad()
    def test(self, split=None, is_final=False):
        """Evaluate on ``split`` (default TEST.SPLIT); "val" without a val set falls back to test, as upstream."""
        self.set_model_mode("eval")
        self.evaluator.reset()
        if split is None:
            split = self.cfg.TEST.SPLIT
        if split == "val" and self.val_loader is not None:
            data_loader = self.val_loader
        else:
            split = "test"
            data_loader = self.test_loader
        print(f"Evaluate on the *{split}* set")
        for batch in tqdm(data_loader, file=sys.stderr):
            input, label = self.parse_batch_test(batch)
            output = self.model_inference(input)
            self.evaluator.process(output, label)
        results = self.evaluator.evaluate()
        for key, value in results.items():
            self.write_scalar(f"{split}/{key}", value, self.epoch)
        if is_final:
            flush_logger()
        return list(results.values())[0]

    def model_inference(self, input):
        return self.model(input)

    def parse_batch_test(self, batch):
        return batch["img"].to(self.device), batch["label"].to(self.device)

    def get_current_lr(self, names=None):
        name = self.get_model_names(names)[0]
        return self._optims[name].param_groups[0]["lr"]


class _EpochLog:
    """Timing/loss meters of one epoch and Dassl's per-batch log line."""

    def __init__(self):
        self.losses = MetricMeter()
        self.batch_time = AverageMeter()
        self.data_time = AverageMeter()
        self.end = time.time()

    def line(self, trainer):
        nb_remain = (trainer.num_batches - trainer.batch_idx - 1) + (trainer.max_epoch - trainer.epoch - 1) * trainer.num_batches
        eta = str(datetime.timedelta(seconds=int(self.batch_time.avg * nb_remain)))
        return (
            f"epoch [{trainer.epoch + 1}/{trainer.max_epoch}] "
            f"batch [{trainer.batch_idx + 1}/{trainer.num_batches}] "
            f"time {self.batch_time.val:.3f} ({self.batch_time.avg:.3f}) "
            f"data {self.data_time.val:.3f} ({self.data_time.avg:.3f}) "
            f"{self.losses} "
            f"lr {trainer.get_current_lr():.4e} "
            f"eta {eta}"
        )


class _BatchLoggingMixin:
    """The per-batch bookkeeping shared by TrainerX and TrainerXU."""

    def _log_batch(self, epoch_log, loss_summary):
        epoch_log.batch_time.update(time.time() - epoch_log.end)
        epoch_log.losses.update(loss_summary)
        print_freq = self.cfg.TRAIN.PRINT_FREQ
        if (self.batch_idx + 1) % print_freq == 0 or self.num_batches < print_freq:
            print(epoch_log.line(self))
        n_iter = self.epoch * self.num_batches + self.batch_idx
        for name, meter in epoch_log.losses.meters.items():
            self.write_scalar("train/" + name, meter.avg, n_iter)
        self.write_scalar("train/lr", self.get_current_lr(), n_iter)
        epoch_log.end = time.time()


class TrainerX(_BatchLoggingMixin, SimpleTrainer):
    """Supervised training on ``train_loader_x``; the trainer's forward_backward steps the LR."""

    def run_epoch(self):
        self.set_model_mode("train")
        self.num_batches = len(self.train_loader_x)
        epoch_log = _EpochLog()
        for self.batch_idx, batch in enumerate(self.train_loader_x):
            epoch_log.data_time.update(time.time() - epoch_log.end)
            loss_summary = self.forward_backward(batch)
            self._log_batch(epoch_log, loss_summary)

    def parse_batch_train(self, batch):
        return batch["img"].to(self.device), batch["label"].to(self.device), batch["domain"].to(self.device)


class TrainerXU(_BatchLoggingMixin, SimpleTrainer):
    """Labelled + unlabelled batches; the shorter loader restarts when it runs out."""

    def run_epoch(self):
        self.set_model_mode("train")
        len_x, len_u = len(self.train_loader_x), len(self.train_loader_u)
        count_iter = self.cfg.TRAIN.COUNT_ITER
        if count_iter == "train_x":
            self.num_batches = len_x
        elif count_iter == "train_u":
            self.num_batches = len_u
        elif count_iter == "smaller_one":
            self.num_batches = min(len_x, len_u)
        else:
            raise ValueError(f'TRAIN.COUNT_ITER must be "train_x", "train_u" or "smaller_one", got "{count_iter}"')
        iter_x, iter_u = iter(self.train_loader_x), iter(self.train_loader_u)
        epoch_log = _EpochLog()
        for self.batch_idx in range(self.num_batches):
            batch_x, iter_x = _next_restarting(iter_x, self.train_loader_x)
            batch_u, iter_u = _next_restarting(iter_u, self.train_loader_u)
            epoch_log.data_time.update(time.time() - epoch_log.end)
            loss_summary = self.forward_backward(batch_x, batch_u)
            self._log_batch(epoch_log, loss_summary)

    def parse_batch_train(self, batch_x, batch_u):
        return batch_x["img"].to(self.device), batch_x["label"].to(self.device), batch_u["img"].to(self.device)


def _next_restarting(iterator, loader):
    try:
        return next(iterator), iterator
    except StopIteration:
        iterator = iter(loader)
        return next(iterator), iterator
