"""Behaviour shared by the prompt trainers: evaluation cache, EOT truncation, precision, checkpoints."""
import pytest
import torch

from dassl.config import ConfigError
from trainers.dept import DePT
from trainers.maple import MaPLe
from trainers.parts.checkpoint import checkpoint_path, without_class_buffers


def first_test_batch(trainer):
    return trainer.parse_batch_test(next(iter(trainer.test_loader)))


def test_text_features_are_encoded_once_per_evaluation(build_trainer_only, monkeypatch):
    trainer = build_trainer_only("CoOp")
    calls = []
    original = trainer.class_text_features
    monkeypatch.setattr(trainer, "class_text_features", lambda: calls.append(1) or original())
    trainer.test()
    assert len(trainer.test_loader) > 1 and len(calls) == 1


def test_cached_evaluation_equals_per_batch_path(build_trainer_only):
    trainer = build_trainer_only("MaPLe")
    trainer.set_model_mode("eval")
    with torch.no_grad():
        per_batch = [trainer.logits(trainer.parse_batch_test(b)[0]) for b in trainer.test_loader]
        with trainer.eval_cache.active():
            cached = [trainer.model_inference(trainer.parse_batch_test(b)[0]) for b in trainer.test_loader]
    for expected, actual in zip(per_batch, cached):
        torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("trainer_name", ["CoOp", "MaPLe"])
def test_eot_truncation_does_not_change_text_features(build_trainer_only, trainer_name):
    trainer = build_trainer_only(trainer_name)
    with torch.no_grad():
        trainer.text_encoder.truncate = True
        truncated = trainer.class_text_features()
        trainer.text_encoder.truncate = False
        full = trainer.class_text_features()
    torch.testing.assert_close(truncated, full, rtol=1e-5, atol=1e-5)


def test_truncation_can_be_turned_off_by_config(build_trainer_only):
    trainer = build_trainer_only("CoOp", "TRAINER.TEXT_ENCODER.TRUNCATE_AT_EOT", "False")
    assert trainer.text_encoder.truncate is False


def test_cpu_runs_fp32_whatever_prec_says(build_trainer_only):
    trainer = build_trainer_only("CoOp")
    assert trainer.cfg.TRAINER.COOP.PREC == "fp16"
    assert trainer.precision == "fp32" and trainer.clip_model.dtype == torch.float32


def test_input_size_other_than_the_clip_resolution_is_refused(build_trainer_only):
    with pytest.raises(ConfigError, match=r"INPUT.SIZE \(64, 64\) does not match the input resolution 32"):
        build_trainer_only("CoOp", "INPUT.SIZE", "(64, 64)")


def test_coop_refuses_a_non_finite_loss(build_trainer_only):
    with pytest.raises(FloatingPointError, match="infinite or NaN"):
        build_trainer_only("CoOp").detect_anomaly(torch.tensor(float("nan")))


def test_cocoop_maple_and_dept_step_on_a_non_finite_loss_as_upstream(build_trainer_only):
    build_trainer_only("CoCoOp").detect_anomaly(torch.tensor(float("inf")))
    assert not MaPLe.check_finite_loss and not DePT.check_finite_loss


def test_frozen_clip_stays_out_of_the_registered_module(build_trainer_only):
    trainer = build_trainer_only("MaPLe")
    trainer.set_model_mode("train")
    assert not trainer.clip_model.training
    assert not any(p.requires_grad for p in trainer.clip_model.parameters())


@pytest.mark.parametrize("trainer_name, registered, keys", [
    ("CoOp", "prompt_learner", {"ctx", "token_prefix", "token_suffix"}),
    ("CoCoOp", "prompt_learner", {"ctx", "token_prefix", "token_suffix", "meta_net.linear1.weight",
                                  "meta_net.linear1.bias", "meta_net.linear2.weight", "meta_net.linear2.bias"}),
    ("MaPLe", "MultiModalPromptLearner", {
        "prompt_learner.ctx", "prompt_learner.token_prefix", "prompt_learner.token_suffix",
        "prompt_learner.proj.weight", "prompt_learner.proj.bias", "prompt_learner.compound_prompts_text.0",
        "prompt_learner.compound_prompt_projections.0.weight", "prompt_learner.compound_prompt_projections.0.bias"}),
    ("DePT", "PromptLearner", {
        "prompt_learner.ctx", "prompt_learner.token_prefix", "prompt_learner.token_suffix",
        "film_lp_img.scale", "film_lp_img.bias", "film_lp_text.scale", "film_lp_text.bias",
        "linear_probe_proj.weight", "linear_probe_proj.bias"}),
])
def test_checkpoint_names_and_keys_are_upstream(build_trainer_only, trainer_name, registered, keys):
    trainer = build_trainer_only(trainer_name, "DATASET.SUBSAMPLE_CLASSES", "base")
    assert trainer.get_model_names() == [registered]
    assert set(trainer._models[registered].state_dict()) == keys


def test_loading_keeps_current_token_buffers_and_takes_learned_tensors(build_trainer_only, tmp_path):
    trainer = build_trainer_only("CoOp")
    module = trainer._models["prompt_learner"]
    saved = {"ctx": torch.full_like(module.ctx, 0.5), "token_prefix": torch.zeros(9, 1, 3),
             "token_suffix": torch.zeros(9, 7, 3)}
    folder = tmp_path / "prompt_learner"
    folder.mkdir()
    torch.save({"state_dict": saved, "epoch": 3}, folder / "model.pth.tar-3")
    prefix_before = module.token_prefix.clone()
    trainer.load_model(str(tmp_path))
    assert module.ctx.eq(0.5).all()
    torch.testing.assert_close(module.token_prefix, prefix_before)


def test_without_class_buffers_drops_exactly_the_modules_buffers(build_trainer_only):
    module = build_trainer_only("CoOp")._models["prompt_learner"]
    kept = without_class_buffers({"ctx": 1, "token_prefix": 2, "token_suffix": 3, "other": 4}, module)
    assert kept == {"ctx": 1, "other": 4}


def test_checkpoint_path_defaults_to_latest_epoch(tmp_path):
    for epoch in (2, 10, 5):
        (tmp_path / f"model.pth.tar-{epoch}").write_bytes(b"")
    assert checkpoint_path(str(tmp_path)).endswith("model.pth.tar-10")
    assert checkpoint_path(str(tmp_path), -1).endswith("model.pth.tar-10")
    with pytest.raises(FileNotFoundError, match="model.pth.tar-7"):
        checkpoint_path(str(tmp_path), 7)


def test_checkpoint_path_prefers_the_best_val_checkpoint_when_no_epoch_is_given(tmp_path):
    for name in ("model.pth.tar-10", "model-best.pth.tar"):
        (tmp_path / name).write_bytes(b"")
    assert checkpoint_path(str(tmp_path)).endswith("model-best.pth.tar")
    assert checkpoint_path(str(tmp_path), -1).endswith("model.pth.tar-10")
