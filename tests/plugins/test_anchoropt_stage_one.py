"""AnchorOPT stage I numerics against hand computation (spec §2.2, §2.3, §7)."""
import json

import pytest
import torch

import clip
from tests.plugins.test_anchoropt_support import anchoropt_cfg, tiny_clip
from trainers.parts.logits import l2_normalize
from trainers.plugins.anchoropt_anchor import encode_descriptions, load_descriptions, stage_one_loss


def _unit(*shape):
    return l2_normalize(torch.randn(*shape, dtype=torch.float64))


def test_loss_is_weighted_sum_of_squared_distances_over_classes_descriptions_and_dims():
    torch.manual_seed(0)
    anchors, descriptions = _unit(3, 8), _unit(3, 4, 8)
    by_hand = sum(((anchors[c] - descriptions[c, m]) ** 2).sum() for c in range(3) for m in range(4))
    loss = stage_one_loss(anchors, descriptions, mse_weight=1000.0)
    assert loss.item() == pytest.approx(1000.0 / (3 * 4 * 8) * by_hand.item(), rel=1e-12)


def test_best_unit_anchor_feature_is_the_mean_description_direction():
    torch.manual_seed(1)
    descriptions = _unit(1, 5, 8)
    mean_direction = l2_normalize(descriptions.mean(dim=1))
    best = stage_one_loss(mean_direction, descriptions, 1.0)
    for _ in range(20):
        other = l2_normalize(mean_direction + 0.1 * torch.randn(1, 8, dtype=torch.float64))
        assert stage_one_loss(other, descriptions, 1.0) > best


def test_descriptions_keep_the_first_m_sentences_in_file_order(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"face": ["a", "b", "c"], "sea or lake": ["d", "e", "f"]}))
    assert load_descriptions(str(path), ["sea or lake", "face"], 2) == [["d", "e"], ["a", "b"]]
    with pytest.raises(ValueError, match="fewer than 4 descriptions"):
        load_descriptions(str(path), ["face"], 4)


def test_description_features_are_unit_clip_text_features_per_class(tiny_vit_checkpoint):
    clip_model = tiny_clip(anchoropt_cfg(tiny_vit_checkpoint))
    sentences = [["a face.", "a smiling face."], ["a lake.", "calm water."]]
    features = encode_descriptions(clip_model, sentences, chunk_size=3)
    assert features.shape == (2, 2, 32)
    with torch.no_grad():
        expected = l2_normalize(clip_model.encode_text(clip.tokenize(["calm water."])))
    torch.testing.assert_close(features[1, 1], expected[0])
    torch.testing.assert_close(features.norm(dim=-1), torch.ones(2, 2))
