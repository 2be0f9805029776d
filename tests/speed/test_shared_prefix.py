"""TRAINER.TEXT_ENCODER.SHARE_PREFIX: positions shared by every class, encoded once, change nothing."""
import pytest
import torch

import clip.model
from clip.build import build_model
from clip.prompt_hooks import replace_tokens
from clip.tiny import tiny_vit_state_dict
from tests.plugins.test_anchoropt_support import write_original_anchor_file
from tests.trainers.test_anchor_pipeline import BASELINES, run
from tests.speed.trainer_probe import step_and_test
from tests.trainers.train_runs import run_train, small_dataset  # noqa: F401  (fixture)
from trainers.parts.prompt_layout import identical_leading_positions
from trainers.parts import text_encoder
from trainers.parts.text_encoder import TextEncoder
from trainers.plugins.anchoropt_anchor import AnchorPrompt

WIDTH = 128


@pytest.fixture(scope="module")
def model():
    return build_model(tiny_vit_state_dict(text_width=WIDTH, text_layers=3)).float().eval()


def prompts_with_common_prefix(groups, classes, prefix_length):
    """[G, C, 77, D] embeddings whose first positions depend only on the group, plus the prefix leaf."""
    generator = torch.Generator().manual_seed(0)
    prefix = torch.randn(groups, 1, prefix_length, WIDTH, generator=generator).requires_grad_()
    rest = torch.randn(1, classes, 77 - prefix_length, WIDTH, generator=generator)
    embeddings = torch.cat([prefix.expand(groups, classes, -1, -1), rest.expand(groups, -1, -1, -1)], dim=2)
    return prefix, embeddings


def features_and_gradient(encode, prefix, embeddings):
    features = encode(embeddings)
    (gradient,) = torch.autograd.grad(features.square().sum(), prefix)
    return features.detach(), gradient


@pytest.mark.parametrize("truncate", [True, False])
def test_shared_prefix_equals_full_sequences_values_and_gradients(model, truncate):
    groups, classes, prefix_length = 3, 5, 7
    eot_index = torch.tensor([9, 10, 12, 8, 11])
    prefix, embeddings = prompts_with_common_prefix(groups, classes, prefix_length)

    def full(embeddings):
        flat = model.encode_text_embeddings(embeddings.flatten(0, 1), eot_index.repeat(groups), truncate=truncate)
        return flat.unflatten(0, (groups, classes))

    def shared(embeddings):
        return model.encode_text_shared_prefix(embeddings, eot_index, prefix_length, truncate=truncate)

    reference, reference_gradient = features_and_gradient(full, prefix, embeddings)
    features, gradient = features_and_gradient(shared, prefix, embeddings)
    assert features.shape == (groups, classes, model.text_projection.shape[1])
    torch.testing.assert_close(features, reference, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gradient, reference_gradient, rtol=1e-5, atol=1e-5)


def test_shared_prefix_runs_a_deep_prompt_hook_inside_the_prefix(model):
    eot_index = torch.tensor([9, 10, 12])
    prefix, embeddings = prompts_with_common_prefix(1, 3, 6)
    deep = [torch.randn(4, WIDTH) for _ in range(2)]
    hook = replace_tokens(1, deep)
    assert hook.window_end == 5

    def full(embeddings):
        return model.encode_text_embeddings(embeddings[0], eot_index, block_hook=hook)

    def shared(embeddings):
        return model.encode_text_shared_prefix(embeddings, eot_index, 6, block_hook=hook)[0]

    reference, reference_gradient = features_and_gradient(full, prefix, embeddings)
    features, gradient = features_and_gradient(shared, prefix, embeddings)
    torch.testing.assert_close(features, reference, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gradient, reference_gradient, rtol=1e-5, atol=1e-5)


def test_prefix_reaching_a_pooled_position_is_refused(model):
    _, embeddings = prompts_with_common_prefix(1, 2, 6)
    with pytest.raises(ValueError, match="end before the pooled positions"):
        model.encode_text_shared_prefix(embeddings, torch.tensor([9, 5]), 6)


def test_encoder_shares_only_what_is_safe_and_pays(model):
    pool_index = torch.tensor([9, 6, 12])
    on, off = TextEncoder(model, share_prefix=True), TextEncoder(model, share_prefix=False)
    many = (100, 3)  # 100 groups of the 3 classes: (300 - 100) * 5 positions saved
    assert on.usable_prefix(8, pool_index, None, many) == 6  # capped before the earliest pooled position
    assert on.usable_prefix(0, pool_index, None, many) == 0
    assert off.usable_prefix(8, pool_index, None, many) == 0
    assert on.usable_prefix(5, pool_index, replace_tokens(1, [torch.zeros(4, WIDTH)]), many) == 5
    assert on.usable_prefix(4, pool_index, replace_tokens(1, [torch.zeros(4, WIDTH)]), many) == 0  # writes past it
    assert on.usable_prefix(5, pool_index, replace_tokens(-2, [torch.zeros(2, WIDTH)]), many) == 0  # end-relative
    assert on.usable_prefix(5, pool_index, lambda index, x: x, many) == 0  # a hook that declares no window
    assert on.usable_prefix(5, pool_index, None, (3,)) == 0  # 10 positions saved: not worth a second pass
    assert on.usable_prefix(5, pool_index, None, (27,)) == 5  # 130 saved


def test_identical_leading_positions_counts_columns_equal_for_every_class():
    buffer = torch.zeros(3, 5, 2)
    buffer[1, 2, 0] = 1.0
    assert identical_leading_positions(buffer) == 2
    assert identical_leading_positions(torch.zeros(3, 5, 2)) == 5


@pytest.fixture
def share_small_prompt_sets(monkeypatch):
    """The tiny class lists here save too few positions to pass the cost threshold: share anyway."""
    monkeypatch.setattr(text_encoder, "MIN_SAVED_POSITIONS", 0)


def count_shared_calls(monkeypatch):
    """Records the block hook of every shared-prefix encoding from now on."""
    calls = []
    encode = clip.model.CLIP.encode_text_shared_prefix

    def counted(self, *args, **kwargs):
        calls.append(kwargs.get("block_hook"))
        return encode(self, *args, **kwargs)

    monkeypatch.setattr(clip.model.CLIP, "encode_text_shared_prefix", counted)
    return calls


def assert_same_run(shared, full):
    loss, gradients, outputs = shared
    loss_full, gradients_full, outputs_full = full
    torch.testing.assert_close(loss, loss_full, rtol=1e-5, atol=1e-6)
    assert gradients and sorted(gradients) == sorted(gradients_full)
    for name, gradient in gradients.items():
        scale = float(gradients_full[name].abs().max())
        torch.testing.assert_close(gradient, gradients_full[name], rtol=1e-4, atol=1e-4 * scale,
                                   msg=lambda message: f"{name}: {message}")
    torch.testing.assert_close(outputs, outputs_full, rtol=1e-5, atol=1e-5)


BASELINE_TRAINERS = ["CoOp", "CoCoOp", "MaPLe", "DePT", "KgCoOp", "CoOp_ATP", "CoCoOp_ATP", "MaPLe_ATP", "DePT_ATP",
                     "KgCoOp_ATP"]


@pytest.mark.usefixtures("share_small_prompt_sets")
@pytest.mark.parametrize("trainer_name", BASELINE_TRAINERS)
def test_trainer_step_and_evaluation_equal_with_and_without_sharing(trainer_name, small_dataset,  # noqa: F811
                                                                    tiny_vit_checkpoint, tmp_path, monkeypatch):
    def build(share):
        return run_train(small_dataset, tiny_vit_checkpoint, trainer_name, tmp_path / str(share), flags=["--no-train"],
                         opts=["DATASET.SUBSAMPLE_CLASSES", "base", "TRAINER.TEXT_ENCODER.SHARE_PREFIX", str(share)])

    full = step_and_test(build(False))
    shared_trainer = build(True)
    calls = count_shared_calls(monkeypatch)
    assert shared_trainer.prompt_learner.shared_prefix_length > 1
    assert_same_run(step_and_test(shared_trainer), full)
    assert calls and all((hook is not None) == ("MaPLe" in trainer_name) for hook in calls)


@pytest.fixture(scope="module")
def anchor_file(tmp_path_factory):
    return write_original_anchor_file(str(tmp_path_factory.mktemp("anchor") / "model.pth.tar"), torch.randn(1, 64))


@pytest.mark.usefixtures("share_small_prompt_sets")
@pytest.mark.parametrize("trainer_name", sorted(BASELINES))
def test_anchoropt_step_and_evaluation_equal_with_and_without_sharing(trainer_name, small_dataset,  # noqa: F811
                                                                      tiny_vit_checkpoint, anchor_file, tmp_path,
                                                                      monkeypatch):
    config = BASELINES[trainer_name][0]

    def build(share):
        keys = ["TRAINER.ANCHOROPT.ANCHOR_PATH", anchor_file, "TRAINER.ANCHOROPT.ANCHOR_LEN", "1",
                "TRAINER.MAPLE.PROMPT_DEPTH", "2", "TRAINER.TEXT_ENCODER.SHARE_PREFIX", str(share)]
        return run(trainer_name, config, small_dataset, tiny_vit_checkpoint, tmp_path / str(share), "base", keys,
                   no_train=True)

    full = step_and_test(build(False))
    shared_trainer = build(True)
    calls = count_shared_calls(monkeypatch)
    assert shared_trainer.prompt_learner.shared_prefix_length >= 1 + 2 + 1  # SOT, N = 2 soft tokens, the anchor
    assert_same_run(step_and_test(shared_trainer), full)
    assert calls and all((hook is not None) == ("MaPLe" in trainer_name) for hook in calls)


@pytest.mark.usefixtures("share_small_prompt_sets")
def test_stage_one_anchor_prompts_equal_with_and_without_sharing(model):
    anchor = torch.randn(3, WIDTH).requires_grad_()
    prompt = AnchorPrompt(["cat", "dog", "sea lion"], model, anchor)
    assert prompt.shared_prefix_length == 2 + 3
    results = []
    for share in (True, False):
        features = prompt.text_features(TextEncoder(model, share_prefix=share))
        (gradient,) = torch.autograd.grad(features.square().sum(), prompt.anchor_ctx_1)
        results.append((features.detach(), gradient))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-5, atol=1e-5)


def test_shared_prefix_runs_in_fp16_like_the_full_path():
    """GPU runs are fp16 by default (PREC fp16): the shared path keeps the dtypes and rounds alike."""
    model = build_model(tiny_vit_state_dict(text_width=WIDTH, text_layers=3)).eval()
    assert model.dtype == torch.float16
    eot_index = torch.tensor([9, 10, 12, 8, 11])
    _, embeddings = prompts_with_common_prefix(2, 5, 7)
    embeddings = embeddings.detach().half()
    full = model.encode_text_embeddings(embeddings.flatten(0, 1), eot_index.repeat(2)).unflatten(0, (2, 5))
    shared = model.encode_text_shared_prefix(embeddings, eot_index, 7)
    assert shared.dtype == torch.float16
    torch.testing.assert_close(shared, full, rtol=1e-2, atol=1e-2)


def test_a_wrong_shared_prefix_promise_fails_loudly(model):
    _, embeddings = prompts_with_common_prefix(1, 200, 6)
    with pytest.raises(ValueError, match="shared_prefix_length promises 8 leading positions"):
        TextEncoder(model)(embeddings, torch.full((200,), 12), shared_prefix=8)
