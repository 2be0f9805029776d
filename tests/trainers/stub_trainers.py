"""Trainers built without data or engine: only what `build_learner` reads (config and CLIP)."""
import train


def stub_trainer(trainer_class, clip_model, *opts):
    trainer = trainer_class.__new__(trainer_class)
    trainer.cfg = train.setup_cfg(train.build_parser().parse_args(list(opts)))
    trainer.clip_model = clip_model
    return trainer
