"""A toy dataset and trainer on tiny on-disk images, for exercising the engine end to end on CPU."""
import os
import signal
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from dassl.config import get_cfg_default
from dassl.data.datasets import DATASET_REGISTRY, DatasetBase, Datum
from dassl.engine import TRAINER_REGISTRY, TrainerX, build_trainer
from dassl.metrics import compute_accuracy
from dassl.optim import build_lr_scheduler, build_optimizer
from dassl.utils import close_logger, set_random_seed, setup_logger

IMAGE_SIZE = 8


def write_toy_images(root, num_classes=3, per_class=4):
    """``<root>/toy/<label>_<i>.png``: solid-ish colour patches whose mean colour encodes the label."""
    image_dir = os.path.join(root, "toy")
    os.makedirs(image_dir, exist_ok=True)
    rng = np.random.RandomState(0)
    for label in range(num_classes):
        for i in range(per_class):
            pixels = rng.randint(0, 60, size=(IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.uint8)
            pixels[..., label % 3] += 150
            Image.fromarray(pixels).save(os.path.join(image_dir, f"{label}_{i}.png"))
    return image_dir


if "ToyImages" not in DATASET_REGISTRY:

    @DATASET_REGISTRY.register()
    class ToyImages(DatasetBase):
        dataset_dir = "toy"

        def __init__(self, cfg):
            image_dir = os.path.join(cfg.DATASET.ROOT, self.dataset_dir)
            items = []
            for fname in sorted(os.listdir(image_dir)):
                label = int(fname.split("_")[0])
                items.append(Datum(impath=os.path.join(image_dir, fname), label=label, classname=f"class{label}"))
            super().__init__(train_x=items, test=items)


if "ToyTrainer" not in TRAINER_REGISTRY:

    @TRAINER_REGISTRY.register()
    class ToyTrainer(TrainerX):
        """A linear classifier; steps the LR inside the last batch, like the CoOp family."""

        def build_model(self):
            self.model = nn.Linear(3 * IMAGE_SIZE * IMAGE_SIZE, self.num_classes).to(self.device)
            self.frozen = nn.Dropout(0.5)
            self.optim = build_optimizer(self.model, self.cfg.OPTIM)
            self.sched = build_lr_scheduler(self.optim, self.cfg.OPTIM)
            self.register_model("toy_model", self.model, self.optim, self.sched)

        def model_inference(self, input):
            return self.model(input.flatten(1))

        def forward_backward(self, batch):
            image, label = self.parse_batch_train(batch)
            output = self.model_inference(image)
            loss = F.cross_entropy(output, label)
            self.model_backward_and_update(loss)
            if (self.batch_idx + 1) == self.num_batches:
                self.update_lr()
            return {"loss": loss.item(), "acc": compute_accuracy(output, label)[0].item()}

        def parse_batch_train(self, batch):
            return batch["img"].to(self.device), batch["label"].to(self.device)


def toy_cfg(root, output_dir, max_epoch=3, batch_size=2, print_freq=20):
    """Deterministic settings: sequential train sampler, no random transforms, no workers."""
    cfg = get_cfg_default()
    cfg.DATASET.ROOT = str(root)
    cfg.DATASET.NAME = "ToyImages"
    cfg.TRAINER.NAME = "ToyTrainer"
    cfg.OUTPUT_DIR = str(output_dir)
    cfg.USE_CUDA = False
    cfg.SEED = 1
    cfg.INPUT.SIZE = (IMAGE_SIZE, IMAGE_SIZE)
    cfg.INPUT.TRANSFORMS = ("normalize",)
    cfg.DATALOADER.NUM_WORKERS = 0
    cfg.DATALOADER.TRAIN_X.SAMPLER = "SequentialSampler"
    cfg.DATALOADER.TRAIN_X.BATCH_SIZE = batch_size
    cfg.DATALOADER.TEST.BATCH_SIZE = 5
    cfg.OPTIM.NAME = "sgd"
    cfg.OPTIM.LR = 0.002
    cfg.OPTIM.MAX_EPOCH = max_epoch
    cfg.OPTIM.LR_SCHEDULER = "cosine"
    cfg.OPTIM.WARMUP_EPOCH = 1
    cfg.OPTIM.WARMUP_TYPE = "constant"
    cfg.TRAIN.PRINT_FREQ = print_freq
    return cfg


def final_weights(output_dir, epoch):
    return torch.load(os.path.join(output_dir, "toy_model", f"model.pth.tar-{epoch}"), weights_only=True)["state_dict"]


def run_toy_training(root, output_dir, max_epoch, kill_after_epoch=0):
    """What a train.py run does, checkpointing every epoch; optionally SIGKILL the process after an epoch."""
    cfg = toy_cfg(root, output_dir, max_epoch=max_epoch)
    cfg.TRAIN.CHECKPOINT_FREQ = 1
    cfg.freeze()
    set_random_seed(cfg.SEED)
    setup_logger(cfg.OUTPUT_DIR)
    try:
        trainer = build_trainer(cfg)
        if kill_after_epoch:
            _die_after_epoch(trainer, kill_after_epoch)
        trainer.train()
    finally:
        close_logger()


def _die_after_epoch(trainer, epoch):
    def after_epoch_then_die():
        type(trainer).after_epoch(trainer)
        if trainer.epoch + 1 == epoch:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    trainer.after_epoch = after_epoch_then_die
