import torch

import clip
from scripts.demo.pretrain import (
    CaptionBank, PretrainSettings, TinyClipSize, match_targets, multi_positive_loss, pretrain, render_images, save_state_dict,
)
from scripts.demo.world import base_and_novel, world_classes

SMALL = TinyClipSize(embed_dim=32, image_resolution=16, vision_layers=1, vision_width=64, vision_patch_size=8,
                     transformer_width=64, transformer_layers=1)


def test_a_caption_matches_every_image_its_mentioned_attributes_fit():
    image_codes = torch.tensor([[0, 0, 0], [0, 1, 0], [1, 1, 1]])
    caption_codes = torch.tensor([[0, 0, 0], [0, 1, 0], [1, 1, 1]])
    mentions = torch.tensor([[True, True, True], [True, False, False], [False, True, False]])
    expected = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    assert torch.equal(match_targets(image_codes, caption_codes, mentions), expected)


def test_multi_positive_loss_is_clip_loss_for_one_match_per_row():
    logits = torch.randn(4, 4)
    targets = torch.eye(4)
    expected = (torch.nn.functional.cross_entropy(logits, torch.arange(4))
                + torch.nn.functional.cross_entropy(logits.t(), torch.arange(4))) / 2
    assert torch.allclose(multi_positive_loss(logits, targets), expected)


def test_pretraining_lowers_the_contrastive_loss_and_saves_a_loadable_clip(tmp_path):
    base, _ = base_and_novel(world_classes())
    settings = PretrainSettings(steps=40, batch_size=32, lr=3e-3, warmup_steps=5, images_per_class=4,
                                full_caption_share=0.5)
    images, positions = render_images(base, settings.images_per_class, 0, "pretrain", SMALL.image_resolution)
    model = SMALL.build(seed=0)
    losses = pretrain(model, base, images, positions, settings, seed=0)
    assert len(losses) == 40
    assert sum(losses[-5:]) / 5 < 0.95 * sum(losses[:5]) / 5  # multi-positive targets keep a high floor

    path = str(tmp_path / "tiny_clip.pt")
    save_state_dict(model, path)
    loaded, _ = clip.load(path, device="cpu")
    tokens = clip.tokenize(["a photo of a red plain circle."])
    with torch.no_grad():
        assert torch.allclose(loaded.encode_text(tokens), model.encode_text(tokens), atol=1e-2)
    assert loaded.visual.input_resolution == SMALL.image_resolution


def test_novel_combinations_are_shown_but_never_named_in_full():
    base, novel = base_and_novel(world_classes())
    bank = CaptionBank(base + novel, full_caption_share=0.5, unnamed=set(novel))
    for position, spec in enumerate(base + novel):
        rows = (bank.class_position == position).nonzero().flatten()
        most_mentioned = int(bank.mentions[rows].sum(dim=1).max())
        assert most_mentioned == (3 if spec in base else 2), spec.name
        assert torch.isclose(bank.weights[rows].sum(), torch.tensor(1.0, dtype=torch.float64))
    assert not [text for text in bank.texts for spec in novel if spec.name in text]
    assert "a photo of a red object." in bank.texts
