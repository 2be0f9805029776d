"""Zero-shot CLIP: per-dataset templates and the template ensemble."""
import os

import pytest
import torch

from tests.fixtures.dataset_fixtures import make_synthetic_dataset
from tests.trainers.train_runs import run_train
from trainers import zsclip
from trainers.parts.templates import IMAGENET_TEMPLATES, IMAGENET_TEMPLATES_SELECT, dataset_template, ensemble_templates
from trainers.parts.zero_shot import template_text_features


def test_ensemble_averages_unit_template_features(build_trainer_only):
    trainer = build_trainer_only("ZeroshotCLIP2")
    templates = ensemble_templates("Caltech101")
    classnames = trainer.dm.dataset.classnames
    total = sum(template_text_features(trainer.clip_model, classnames, [t]) for t in templates)
    mean = total / len(templates)
    assert len(templates) == 8
    assert torch.equal(trainer.text_units, mean / mean.norm(dim=-1, keepdim=True))


def test_single_template_uses_the_dataset_table(build_trainer_only):
    trainer = build_trainer_only("ZeroshotCLIP")
    expected = template_text_features(trainer.clip_model, trainer.dm.dataset.classnames, ["a photo of a {}."])
    torch.testing.assert_close(trainer.text_units, expected)


def test_clip_is_loaded_fp16_whatever_coop_prec_says(build_trainer_only, monkeypatch):
    """Upstream's zero-shot trainer never upcasts CoOp's fp16 CLIP (spec 3.1); CPU then runs it in fp32."""
    requested = []
    original = zsclip.load_clip

    def spy(cfg, prec, device):
        requested.append(prec)
        return original(cfg, prec, device)

    monkeypatch.setattr(zsclip, "load_clip", spy)
    build_trainer_only("ZeroshotCLIP", "TRAINER.COOP.PREC", "fp32")
    assert requested == ["fp16"]


SPEC_TEMPLATES = {  # spec 3.1 (CoOp's table)
    "OxfordPets": "a photo of a {}, a type of pet.", "OxfordFlowers": "a photo of a {}, a type of flower.",
    "FGVCAircraft": "a photo of a {}, a type of aircraft.", "DescribableTextures": "{} texture.",
    "EuroSAT": "a centered satellite photo of {}.", "StanfordCars": "a photo of a {}.",
    "Food101": "a photo of {}, a type of food.", "SUN397": "a photo of a {}.", "Caltech101": "a photo of a {}.",
    "UCF101": "a photo of a person doing {}.", "ImageNet": "a photo of a {}.", "ImageNetSketch": "a photo of a {}.",
    "ImageNetV2": "a photo of a {}.", "ImageNetA": "a photo of a {}.", "ImageNetR": "a photo of a {}.",
}


@pytest.mark.parametrize("dataset_name", sorted(SPEC_TEMPLATES))
def test_dataset_template_table(dataset_name):
    assert dataset_template(dataset_name) == SPEC_TEMPLATES[dataset_name]


def test_nothing_is_drawn_or_cached_for_training(tiny_vit_checkpoint, tmp_path):
    """Spec 5.5: the dataset config's NUM_SHOTS 16 without a seed must not write shot_*-seed_-1.pkl."""
    data = make_synthetic_dataset(tmp_path / "data", "Caltech101", n_classes=4, test_per_class=2)
    trainer = run_train(data, tiny_vit_checkpoint, "ZeroshotCLIP", tmp_path / "out", flags=["--no-train"],
                        opts=["SEED", "-1", "DATASET.SUBSAMPLE_CLASSES", "new"])
    fewshot_dir = os.path.join(trainer.dm.dataset.dataset_dir, "split_fewshot")
    assert not os.path.isdir(fewshot_dir) or not os.listdir(fewshot_dir)
    assert trainer.cfg.DATASET.NUM_SHOTS == 2 and len(trainer.dm.dataset.test) == 2 * 2
    assert trainer.dm.dataset.classnames == data.classnames[2:]


def test_template_lists():
    assert len(IMAGENET_TEMPLATES) == 80 and len(set(IMAGENET_TEMPLATES)) == 80
    assert (IMAGENET_TEMPLATES[0], IMAGENET_TEMPLATES[39], IMAGENET_TEMPLATES[60], IMAGENET_TEMPLATES[79]) == (
        "a bad photo of a {}.", "a photo of a {}.", "a jpeg corrupted photo of the {}.", "a tattoo of the {}.")
    assert IMAGENET_TEMPLATES_SELECT == ["itap of a {}.", "a bad photo of the {}.", "a origami {}.",
                                         "a photo of the large {}.", "a {} in a video game.", "art of the {}.",
                                         "a photo of the small {}."]
    assert len(ensemble_templates("ImageNet")) == 7
    assert ensemble_templates("OxfordFlowers")[-1] == "a photo of a {}, a type of flower."
    assert dataset_template("EuroSAT", override="{} seen from above.") == "{} seen from above."


def test_unknown_dataset_template_names_the_override_key():
    with pytest.raises(KeyError, match="TRAINER.ZSCLIP.TEMPLATE"):
        dataset_template("MyDataset")
