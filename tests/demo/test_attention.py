"""The attention inspection tool on a freshly built CoOp_ATP (tiny random CLIP, synthetic data)."""
import pytest
import torch

from clip import tiny
from scripts.demo.attention import AttentionRecorder, prompt_attention, segment_labels, segment_masses
from tests.trainers.train_runs import run_train, small_dataset  # noqa: F401  (fixture used here)
from trainers.parts.prompt_layout import name_token_count


@pytest.fixture(scope="module")
def encoded(small_dataset, tmp_path_factory):  # noqa: F811
    """The trainer, its prompts, their segment labels and the captured weights of every text block, on a
    tiny CLIP whose text blocks have two heads (so the per-head split is checked too)."""
    checkpoint = tiny.save_state_dict(tiny.tiny_vit_state_dict(text_width=128),
                                      str(tmp_path_factory.mktemp("tiny_clip") / "two-heads.pt"))
    trainer = run_train(small_dataset, checkpoint, "CoOp_ATP", tmp_path_factory.mktemp("atp"),
                        flags=["--no-train"], opts=["TRAINER.COOP.PREC", "fp32"])
    trainer.set_model_mode("eval")
    with torch.no_grad():
        embeddings, pool_index = trainer.prompt_learner()
        with AttentionRecorder(trainer.clip_model.transformer) as recorder:
            features = trainer.clip_model.encode_text_embeddings(embeddings, pool_index)
    labels = segment_labels(trainer.prompt_learner, trainer.clip_model, embeddings, pool_index)
    return dict(trainer=trainer, embeddings=embeddings, pool_index=pool_index, labels=labels,
                weights=recorder.weights, features=features)


def hand_attention(block, x):
    """Per-head causal attention weights [N, H, L, L] of `block` on its input x [N, L, D], written out."""
    heads, (batch, length, width) = block.attn.num_heads, x.shape
    normed = block.ln_1(x)
    query, key, _ = torch.nn.functional.linear(normed, block.attn.in_proj_weight, block.attn.in_proj_bias).chunk(3, -1)
    query, key = (t.reshape(batch, length, heads, -1).transpose(1, 2) for t in (query, key))
    scores = query @ key.transpose(-1, -2) / (width // heads) ** 0.5
    future = torch.ones(length, length, dtype=torch.bool).triu(1)
    return scores.masked_fill(future, float("-inf")).softmax(dim=-1)


def test_every_pooled_row_splits_its_whole_mass_over_the_segments(encoded):
    assert len(encoded["weights"]) == len(encoded["trainer"].clip_model.transformer.resblocks)
    assert encoded["weights"][0].shape[1] == 2
    for weights in encoded["weights"]:
        masses = segment_masses(weights, encoded["labels"], encoded["pool_index"])
        assert set(masses) == {"SOT", "attribute soft", "attribute words", "soft", "class name", ".", "EOT"}
        total = sum(masses.values())
        assert total == pytest.approx(torch.ones(len(encoded["labels"])), abs=1e-5)


def test_class_name_mass_equals_the_hand_computed_attention_of_the_first_block(encoded):
    trainer, pool_index = encoded["trainer"], encoded["pool_index"]
    clip_model = trainer.clip_model
    length = int(pool_index.max()) + 1
    x = encoded["embeddings"][:, :length] + clip_model.positional_embedding[:length]
    with torch.no_grad():
        weights = hand_attention(clip_model.transformer.resblocks[0], x)
    torch.testing.assert_close(encoded["weights"][0], weights, rtol=1e-5, atol=1e-6)
    masses = segment_masses(encoded["weights"][0], encoded["labels"], pool_index)
    for class_index, name in enumerate(trainer.prompt_learner.classnames):
        eot = int(pool_index[class_index])
        name_positions = slice(eot - 1 - name_token_count(name), eot - 1)  # the name, then ".", then EOT
        expected = weights[class_index, :, eot, name_positions].sum(dim=-1).mean()
        assert float(masses["class name"][class_index]) == pytest.approx(float(expected), abs=1e-6)


def test_recording_leaves_the_text_features_unchanged(encoded):
    trainer = encoded["trainer"]
    with torch.no_grad():
        plain = trainer.clip_model.encode_text_embeddings(encoded["embeddings"], encoded["pool_index"])
    torch.testing.assert_close(encoded["features"], plain, rtol=0, atol=0)
    torch.testing.assert_close(trainer.class_text_features().detach(), plain, rtol=1e-5, atol=1e-6)


def test_prompt_attention_reports_every_block_as_fractions(encoded):
    _, layers = prompt_attention(encoded["trainer"])
    assert len(layers) == len(encoded["weights"])
    assert all(sum(layer.values()) == pytest.approx(1.0, abs=1e-5) for layer in layers)
