"""Zero-shot CLIP: per-dataset templates and the template ensemble."""
import pytest
import torch

from trainers.parts.templates import IMAGENET_TEMPLATES, dataset_template, ensemble_templates
from trainers.parts.zero_shot import template_text_features


def test_ensemble_averages_unit_template_features(build_trainer_only):
    trainer = build_trainer_only("ZeroshotCLIP2")
    templates = ensemble_templates("Caltech101")
    classnames = trainer.dm.dataset.classnames
    per_template = torch.stack([template_text_features(trainer.clip_model, classnames, [t]) for t in templates])
    mean = per_template.mean(dim=0)
    torch.testing.assert_close(trainer.text_units, mean / mean.norm(dim=-1, keepdim=True))


def test_single_template_uses_the_dataset_table(build_trainer_only):
    trainer = build_trainer_only("ZeroshotCLIP")
    expected = template_text_features(trainer.clip_model, trainer.dm.dataset.classnames, ["a photo of a {}."])
    torch.testing.assert_close(trainer.text_units, expected)


def test_template_lists():
    assert len(IMAGENET_TEMPLATES) == 80 and len(set(IMAGENET_TEMPLATES)) == 80
    assert len(ensemble_templates("ImageNet")) == 7
    assert ensemble_templates("OxfordFlowers")[-1] == "a photo of a {}, a type of flower."
    assert dataset_template("EuroSAT", override="{} seen from above.") == "{} seen from above."


def test_unknown_dataset_template_names_the_override_key():
    with pytest.raises(KeyError, match="TRAINER.ZSCLIP.TEMPLATE"):
        dataset_template("MyDataset")
