import pytest

from dassl.config import ConfigError, ConfigLookupError, get_cfg_default
from dassl.engine import build_trainer
from dassl.utils import Registry


def test_duplicate_registration_raises():
    registry = Registry("TEST")

    @registry.register()
    class Thing:
        pass

    with pytest.raises(KeyError, match='"Thing" was already registered'):
        registry.register(Thing)


def test_bare_register_returns_the_class():
    registry = Registry("TEST")

    @registry.register
    class Thing:
        pass

    assert Thing is registry.get("Thing")


def test_unknown_trainer_lists_registered_names_and_closest():
    from tests.dassl import toy_engine  # noqa: F401  registers ToyTrainer

    cfg = get_cfg_default()
    cfg.TRAINER.NAME = "ToyTrainr"
    expected = r"TRAINER.NAME: .*belong to \[.*'ToyTrainer'.*\], but got \[ToyTrainr\] \(do you mean \[ToyTrainer\]\?\)"
    with pytest.raises(ConfigError, match=expected):
        build_trainer(cfg)


def test_defaults_are_independent_clones():
    cfg = get_cfg_default()
    cfg.OPTIM.LR = 1.0
    assert get_cfg_default().OPTIM.LR == 0.0003


def test_default_tree_has_spec_values():
    cfg = get_cfg_default()
    assert cfg.INPUT.SIZE == (224, 224) and cfg.OPTIM.STEPSIZE == (-1,)
    assert cfg.DATASET.SUBSAMPLE_CLASSES == "all"
    assert cfg.TRAINER.FIXMATCH.STRONG_TRANSFORMS == () and cfg.TRAINER.MIXMATCH.RAMPUP == 20000
    assert (cfg.TEST.FINAL_MODEL, cfg.TRAIN.CHECKPOINT_FREQ, cfg.SEED) == ("last_step", 0, -1)
    assert "WARMUP_CONS_LR: 1e-05" in str(cfg) and "CIFAR_C_TYPE: \n" in str(cfg)


def test_yaml_literals_are_parsed(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("OPTIM:\n  WARMUP_CONS_LR: 1e-5\nINPUT:\n  TRANSFORMS: [random_flip, normalize]\n")
    cfg = get_cfg_default()
    cfg.merge_from_file(str(path))
    assert cfg.OPTIM.WARMUP_CONS_LR == 1e-05
    assert cfg.INPUT.TRANSFORMS == ("random_flip", "normalize")


def test_unknown_key_from_list_names_closest_valid_key():
    with pytest.raises(ConfigLookupError, match=r"OPTIM\.LRR \(closest valid key: OPTIM\.LR\)"):
        get_cfg_default().merge_from_list(["OPTIM.LRR", "0.1"])


def test_unknown_key_from_file_names_closest_valid_key(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("OPTIM:\n  MAX_EPOCHS: 5\n")
    with pytest.raises(KeyError, match=r"OPTIM\.MAX_EPOCHS \(closest valid key: OPTIM\.MAX_EPOCH\)"):
        get_cfg_default().merge_from_file(str(path))
