from .build import TRAINER_REGISTRY, build_trainer
from .trainer import SimpleTrainer, TrainerBase, TrainerX, TrainerXU
