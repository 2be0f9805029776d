"""ATPrompt layout: token positions, EOT index, multi-token words, deep window, CoCoOp shift, config resolution."""
import pytest
import torch

import clip
from clip import tiny
from dassl.config import get_cfg_default
from trainers.config import extend_cfg
from trainers.parts.prompt_layout import ContextSpec, build_prompt_layout
from trainers.plugins import atprompt
from trainers.plugins.atprompt import AttributeLayout, fill_attribute_words, resolve_attribute_words

EOT_ID = 49407
CLASSNAMES = ["abyssinian", "sea_lion"]


@pytest.fixture(scope="module")
def clip_model():
    return clip.build_model(tiny.tiny_vit_state_dict()).float().eval()


def make_cfg(words=(), soft_lengths=(2, 2, 2), tokenization="first_token_upstream", dataset="OxfordPets"):
    cfg = get_cfg_default()
    extend_cfg(cfg)
    cfg.DATASET.NAME = dataset
    atp = cfg.TRAINER.ATPROMPT
    atp.USE_ATPROMPT = True
    atp.ATTRIBUTE_TOKENIZATION = tokenization
    atp.ATT_NUM = len(words)
    for k, word in enumerate(words, start=1):
        atp[f"ATT{k}_TEXT"] = word
    for k, length in enumerate(soft_lengths, start=1):
        atp[f"N_ATT{k}"] = length
    return cfg


def build(clip_model, cfg, n_ctx=2):
    return build_prompt_layout(cfg, CLASSNAMES, clip_model, ContextSpec(n_ctx), layout="atprompt")


def token_ids(text):
    ids = clip.tokenize(text)[0]
    return ids[1:int(ids.argmax())].tolist()


def embedding_of(clip_model, token_id):
    return clip_model.token_embedding.weight[token_id]


def assert_tokens_at(sequence, clip_model, position, ids):
    for offset, token_id in enumerate(ids):
        torch.testing.assert_close(sequence[position + offset], embedding_of(clip_model, token_id))


@pytest.mark.parametrize("words", [("color",), ("color", "shape"), ("pattern", "color", "design")])
@pytest.mark.parametrize("tokenization", ["first_token_upstream", "full_span"])
def test_single_token_words_sit_between_their_soft_blocks(clip_model, words, tokenization):
    layout = build(clip_model, make_cfg(words, soft_lengths=(2, 3, 1), tokenization=tokenization), n_ctx=2)
    embeddings, pool_index = layout()
    assert embeddings.shape == (2, 77, layout.width)
    sequence = embeddings[1]
    assert_tokens_at(sequence, clip_model, 0, [clip.tokenize("")[0, 0].item()])
    position = 1
    for k, word in enumerate(words, start=1):
        soft = getattr(layout, f"ctx_att{k}")
        torch.testing.assert_close(sequence[position:position + soft.shape[0]], soft)
        position += soft.shape[0]
        assert_tokens_at(sequence, clip_model, position, token_ids(word))
        position += 1
    torch.testing.assert_close(sequence[position:position + 2], layout.ctx)
    assert_tokens_at(sequence, clip_model, position + 2, token_ids("sea lion."))
    assert int(pool_index[1]) == position + 2 + len(token_ids("sea lion."))
    torch.testing.assert_close(sequence[int(pool_index[1])], embedding_of(clip_model, EOT_ID))


def test_playfulness_spans_two_tokens(clip_model):
    assert len(token_ids("playfulness")) == 2
    assert len(token_ids("energy")) == 1


def test_full_span_places_every_token_of_a_multi_token_word(clip_model):
    layout = build(clip_model, make_cfg(("playfulness", "energy"), tokenization="full_span"))
    sequence, pool_index = layout()[0][0], layout()[1]
    assert_tokens_at(sequence, clip_model, 3, token_ids("playfulness"))
    torch.testing.assert_close(sequence[5:7], layout.ctx_att2)
    assert_tokens_at(sequence, clip_model, 7, token_ids("energy"))
    torch.testing.assert_close(sequence[8:10], layout.ctx)
    assert_tokens_at(sequence, clip_model, 10, token_ids("abyssinian."))
    assert int(pool_index[0]) == 10 + len(token_ids("abyssinian."))
    torch.testing.assert_close(sequence[int(pool_index[0])], embedding_of(clip_model, EOT_ID))


def test_first_token_upstream_reproduces_the_shifted_pets_layout(clip_model):
    """Spec W-A1: [SOS][a1 a1]["play"][a2 a2]["X"][t t]["X"][class...]; "energy" never reaches the encoder."""
    layout = build(clip_model, make_cfg(("playfulness", "energy"), tokenization="first_token_upstream"))
    embeddings, pool_index = layout()
    sequence = embeddings[0]
    play, _ = token_ids("playfulness")
    (x_id,) = token_ids("X")
    assert_tokens_at(sequence, clip_model, 3, [play])
    torch.testing.assert_close(sequence[4:6], layout.ctx_att2)
    assert_tokens_at(sequence, clip_model, 6, [x_id])
    torch.testing.assert_close(sequence[7:9], layout.ctx)
    assert_tokens_at(sequence, clip_model, 9, [x_id] + token_ids("abyssinian."))
    (energy,) = token_ids("energy")
    assert not any(torch.equal(row, embedding_of(clip_model, energy)) for row in sequence)
    assert int(pool_index[0]) == 10 + len(token_ids("abyssinian."))


@pytest.mark.parametrize("tokenization,expected_start", [("first_token_upstream", 7), ("full_span", 8)])
def test_deep_hook_replaces_exactly_the_class_soft_block(clip_model, tokenization, expected_start):
    layout = build(clip_model, make_cfg(("playfulness", "energy"), tokenization=tokenization))
    assert layout.deep_text_window() == (expected_start, 2)
    embeddings, _ = layout()
    deep_prompt = torch.full((2, layout.width), 7.0)
    hooked = layout.deep_text_hook([deep_prompt])(1, embeddings)
    changed = (hooked != embeddings).any(dim=-1).any(dim=0).nonzero().flatten().tolist()
    assert changed == [expected_start, expected_start + 1]
    assert torch.equal(hooked[:, expected_start:expected_start + 2], deep_prompt.expand(2, 2, -1))
    assert torch.equal(layout.deep_text_hook([deep_prompt])(2, embeddings), embeddings)


@pytest.mark.parametrize("n_attributes", [1, 2, 3])
def test_deep_window_matches_upstream_formula_when_lengths_equal_n_ctx(clip_model, n_attributes):
    words = ("pattern", "color", "design")[:n_attributes]
    layout = build(clip_model, make_cfg(words, soft_lengths=(4, 4, 4)), n_ctx=4)
    assert layout.deep_text_window() == (1 + n_attributes * (4 + 1), 4)


def test_cocoop_shift_moves_only_the_class_soft_tokens(clip_model):
    layout = build(clip_model, make_cfg(("color", "shape")))
    plain, _ = layout()
    shifted, _ = layout(class_shift=torch.ones(3, layout.width))
    assert shifted.shape == (3, 2, 77, layout.width)
    difference = (shifted - plain).abs().amax(dim=(0, 1, 3))
    assert difference.nonzero().flatten().tolist() == [7, 8]
    torch.testing.assert_close(shifted[2, :, 7:9], plain[:, 7:9] + 1)


def test_three_fp32_attribute_blocks_with_upstream_init_scales(clip_model):
    torch.manual_seed(0)
    layout = build(clip_model, make_cfg(("color",), soft_lengths=(16, 16, 16)), n_ctx=16)
    names = sorted(name for name, _ in layout.named_parameters())
    assert names == ["ctx", "ctx_att1", "ctx_att2", "ctx_att3"]
    assert all(p.dtype == torch.float32 for p in layout.parameters())
    assert 0.017 < layout.ctx.std().item() < 0.023
    for k in (1, 2, 3):
        assert 0.0085 < getattr(layout, f"ctx_att{k}").std().item() < 0.0115


def test_unused_attribute_blocks_get_no_gradient(clip_model):
    layout = build(clip_model, make_cfg(("color", "shape")))
    layout()[0].sum().backward()
    assert layout.ctx_att1.grad is not None and layout.ctx_att2.grad is not None
    assert layout.ctx_att3.grad is None


def test_csc_is_rejected(clip_model):
    with pytest.raises(ValueError, match="CSC False"):
        AttributeLayout(make_cfg(("color",)), CLASSNAMES, clip_model, ContextSpec(2, class_specific=True))


def test_table_words_are_the_default_and_explicit_words_win():
    assert resolve_attribute_words(make_cfg((), dataset="DescribableTextures")) == ["pattern", "color", "design"]
    assert resolve_attribute_words(make_cfg((), dataset="ImageNetSketch")) == ["color", "shape"]
    assert resolve_attribute_words(make_cfg(("texture",), dataset="DescribableTextures")) == ["texture"]


def test_words_without_att_num_are_taken_in_order_and_gaps_are_rejected():
    cfg = make_cfg((), dataset="Caltech101")
    cfg.TRAINER.ATPROMPT.ATT1_TEXT = "size"
    assert resolve_attribute_words(cfg) == ["size"]
    cfg.TRAINER.ATPROMPT.ATT1_TEXT = "none"
    cfg.TRAINER.ATPROMPT.ATT2_TEXT = "size"
    with pytest.raises(ValueError, match="ATT1_TEXT"):
        resolve_attribute_words(cfg)


def test_att_num_without_words_is_rejected():
    cfg = make_cfg((), dataset="Caltech101")
    cfg.TRAINER.ATPROMPT.ATT_NUM = 2
    cfg.TRAINER.ATPROMPT.ATT1_TEXT = "size"
    with pytest.raises(ValueError, match="ATT_NUM=2"):
        resolve_attribute_words(cfg)


def test_cross_dataset_targets_use_source_words_unless_upstream_mode():
    cfg = make_cfg((), dataset="Caltech101")
    cfg.TRAINER.ATPROMPT.SOURCE_DATASET = "ImageNet"
    assert resolve_attribute_words(cfg) == ["color", "shape"]
    cfg.TRAINER.ATPROMPT.XD_ATTRIBUTES = "target_upstream"
    assert resolve_attribute_words(cfg) == ["shape", "size"]


def test_unknown_dataset_without_words_names_the_table_and_the_keys():
    with pytest.raises(ValueError, match="attributes.yaml.*ATT_NUM"):
        resolve_attribute_words(make_cfg((), dataset="MyDataset"))


def test_finalizer_writes_resolved_words_into_the_config():
    cfg = make_cfg((), dataset="OxfordFlowers")
    fill_attribute_words(cfg)
    atp = cfg.TRAINER.ATPROMPT
    assert (atp.ATT_NUM, atp.ATT1_TEXT, atp.ATT2_TEXT, atp.ATT3_TEXT) == (3, "color", "habitat", "growth")


def test_every_table_row_has_five_bases_and_its_searched_words_among_them():
    table = atprompt.load_attribute_table()
    assert len(table) == 15
    for row in table.values():
        assert len(row["bases"]) == 5
        assert set(row["searched"]) <= set(row["bases"])


def test_direct_construction_reads_underscores_as_spaces_like_the_registry(clip_model):
    """The attribute search builds its candidates directly: "sea_lion" must still be tokenised as "sea lion"."""
    direct = AttributeLayout(make_cfg(("color",)), CLASSNAMES, clip_model, ContextSpec(2))
    assert direct.classnames == ["abyssinian", "sea lion"]
    assert torch.equal(direct.token_suffix, build(clip_model, make_cfg(("color",))).token_suffix)


def test_upstream_deep_window_assumes_attribute_blocks_as_long_as_the_class_context(clip_model):
    """W-A4, upstream's cross-dataset MaPLe run: N_ATT 4, MAPLE.N_CTX 2, K=2 -> t sits at 11-12, upstream writes 7-8."""
    cfg = make_cfg(("color", "shape"), soft_lengths=(4, 4, 4))
    assert build(clip_model, cfg).deep_text_window() == (11, 2)
    cfg.TRAINER.ATPROMPT.DEEP_WINDOW = "upstream_n_ctx"
    layout = build(clip_model, cfg)
    assert layout.deep_text_window() == (7, 2)
    embeddings, _ = layout()
    hooked = layout.deep_text_hook([torch.full((2, layout.width), 7.0)])(1, embeddings)
    assert (hooked != embeddings).any(dim=-1).any(dim=0).nonzero().flatten().tolist() == [7, 8]


def test_unknown_deep_window_is_rejected(clip_model):
    cfg = make_cfg(("color",))
    cfg.TRAINER.ATPROMPT.DEEP_WINDOW = "middle"
    with pytest.raises(ValueError, match="DEEP_WINDOW"):
        build(clip_model, cfg)
