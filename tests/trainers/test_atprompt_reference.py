"""The four *_ATP trainers against a hand computation from the spec (§1.1-§1.3).

Everything is rebuilt here from CLIP's raw parts: the input sequence row by row from the token
embedding table (the worked example of §1.1: K=2, A=N=2, so SOS 0, a¹ 1-2, w₁ 3, a² 4-5, w₂ 6,
t 7-8, class from 9), the transformers block by block (MaPLe's deep prompts written by hand), and
the logits / losses of each baseline.
"""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import clip

WORDS = ("shape", "size")  # Caltech101's searched attributes (§1.5)
CLASS_SOFT = slice(7, 9)  # positions of t in the worked example


def unit(x):
    return x / x.norm(dim=-1, keepdim=True)


def hand_sequences(clip_model, layout, class_shift=None):
    """[C, 77, D] built from the embedding table: template "X X shape X X size X X <class>.", soft rows set."""
    table = clip_model.token_embedding.weight
    token_ids = clip.tokenize([f"X X {WORDS[0]} X X {WORDS[1]} X X {name}." for name in layout.classnames])
    class_soft = layout.ctx if class_shift is None else layout.ctx + class_shift
    rows = [torch.cat([table[ids[:1]], layout.ctx_att1, table[ids[3:4]], layout.ctx_att2, table[ids[6:7]],
                       class_soft, table[ids[9:]]]) for ids in token_ids]
    return torch.stack(rows), token_ids.argmax(dim=-1)


def run_block(block, x, mask=None):
    """One residual block on batch-first `x`, whichever token layout the block itself expects."""
    if block.attn.batch_first:
        return block(x, mask)
    return block(x.transpose(0, 1), mask).transpose(0, 1)


def hand_text_features(clip_model, sequences, eot, deep_prompts=(), window=CLASS_SOFT):
    """CLIP's text tower over all 77 positions; deep prompt j overwrites `window` at the input of block j+1."""
    x = sequences + clip_model.positional_embedding
    mask = torch.full((77, 77), float("-inf")).triu(1)
    for index, block in enumerate(clip_model.transformer.resblocks):
        if 1 <= index <= len(deep_prompts):
            x = x.clone()
            x[:, window] = deep_prompts[index - 1]
        x = run_block(block, x, mask)
    x = clip_model.ln_final(x)
    return x[torch.arange(len(x)), eot] @ clip_model.text_projection


def hand_image_features(clip_model, images, shallow=None, deep=()):
    """CLIP's ViT; MaPLe's prompts appended after the positional embedding, the last n replaced per block."""
    visual = clip_model.visual
    x = visual.conv1(images).flatten(2).transpose(1, 2)
    x = torch.cat([visual.class_embedding.expand(len(x), 1, -1), x], dim=1) + visual.positional_embedding
    if shallow is not None:
        x = torch.cat([x, shallow.expand(len(x), -1, -1)], dim=1)
    x = visual.ln_pre(x)
    for index, block in enumerate(visual.transformer.resblocks):
        if 1 <= index <= len(deep):
            x = torch.cat([x[:, :-len(deep[index - 1])], deep[index - 1].expand(len(x), -1, -1)], dim=1)
        x = run_block(block, x)
    return visual.ln_post(x[:, 0]) @ visual.proj


def scaled_cosine(clip_model, image_features, text_features):
    return clip_model.logit_scale.exp() * unit(image_features) @ unit(text_features).t()


def evaluation_images(trainer):
    return trainer.parse_batch_test(next(iter(trainer.test_loader)))[0]


def train_batch(trainer):
    return trainer.parse_batch_train(next(iter(trainer.train_loader_x)))


@pytest.fixture
def build_base(build_trainer_only):
    return lambda trainer, *opts: build_trainer_only(trainer, "DATASET.SUBSAMPLE_CLASSES", "base", *opts)


@pytest.mark.parametrize("trainer_name", ["CoOp_ATP", "CoCoOp_ATP", "MaPLe_ATP", "DePT_ATP"])
def test_input_sequence_is_the_worked_example_row_by_row(build_base, trainer_name):
    trainer = build_base(trainer_name)
    layout = trainer.prompt_learner
    assert tuple(layout.attributes) == WORDS
    embeddings, pool_index = layout()
    expected, eot = hand_sequences(trainer.clip_model, layout)
    assert embeddings.shape == (2, 77, layout.width)
    assert torch.equal(embeddings, expected)
    assert torch.equal(pool_index, eot)


def test_coop_atp_logits_and_loss(build_base):
    trainer = build_base("CoOp_ATP")
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    images, labels = train_batch(trainer)
    with torch.no_grad():
        text = hand_text_features(clip_model, *hand_sequences(clip_model, layout))
        expected = scaled_cosine(clip_model, clip_model.encode_image(images), text)
        torch.testing.assert_close(trainer.model_inference(images), expected)
        loss, _ = trainer.compute_loss(images, labels)
        torch.testing.assert_close(loss, F.cross_entropy(expected, labels))


def test_cocoop_atp_meta_net_shifts_only_the_class_soft_tokens(build_base):
    trainer = build_base("CoCoOp_ATP")
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    images = evaluation_images(trainer)[:2]
    meta = layout.meta_net
    with torch.no_grad():
        meta.linear1.bias.fill_(1.0)  # the tiny 2-unit hidden layer must not be dead
        image_units = unit(clip_model.encode_image(images))
        shifts = F.linear(F.relu(F.linear(image_units, meta.linear1.weight, meta.linear1.bias)),
                          meta.linear2.weight, meta.linear2.bias)
        rows = []
        for image_unit, shift in zip(image_units, shifts):
            text = hand_text_features(clip_model, *hand_sequences(clip_model, layout, class_shift=shift))
            rows.append(clip_model.logit_scale.exp() * image_unit @ unit(text).t())
        torch.testing.assert_close(trainer.model_inference(images), torch.stack(rows))
    assert not torch.allclose(shifts[0], shifts[1])


def test_maple_atp_deep_prompts_replace_the_class_soft_tokens_and_couple_to_vision(build_base):
    trainer = build_base("MaPLe_ATP")
    clip_model, layout = trainer.clip_model, trainer.prompt_learner
    assert layout.deep_text_window() == (1 + 2 * (2 + 1), 2)  # upstream's 1 + K·(M+1) when A_k = M
    images, labels = train_batch(trainer)
    with torch.no_grad():
        deep_text = list(layout.compound_prompts_text)
        text = hand_text_features(clip_model, *hand_sequences(clip_model, layout), deep_prompts=deep_text)
        shallow = F.linear(layout.ctx, layout.proj.weight, layout.proj.bias)
        deep_visual = [F.linear(prompt, proj.weight, proj.bias)
                       for prompt, proj in zip(deep_text, layout.compound_prompt_projections)]
        expected = scaled_cosine(clip_model, hand_image_features(clip_model, images, shallow, deep_visual), text)
        torch.testing.assert_close(trainer.model_inference(images), expected)
        loss, _ = trainer.compute_loss(images, labels)
        torch.testing.assert_close(loss, F.cross_entropy(expected, labels))


def test_dept_atp_fused_base_logits_and_two_headed_loss(build_base):
    trainer = build_base("DePT_ATP")
    clip_model, layout, model = trainer.clip_model, trainer.prompt_learner, trainer.model
    images, labels = train_batch(trainer)
    weight = trainer.cfg.TRAINER.LINEAR_PROBE.WEIGHT
    with torch.no_grad():
        for film in (model["film_lp_img"], model["film_lp_text"]):
            film.scale.uniform_(0.5, 1.5)
            film.bias.normal_()
        text = hand_text_features(clip_model, *hand_sequences(clip_model, layout))
        image = clip_model.encode_image(images)
        similarity = scaled_cosine(clip_model, image, text)
        head = model["linear_probe_proj"]
        image_film = image * model["film_lp_img"].scale + model["film_lp_img"].bias
        text_film = text[labels] * model["film_lp_text"].scale + model["film_lp_text"].bias
        fused = (1 - weight) * similarity + weight * F.linear(image_film, head.weight, head.bias)
        torch.testing.assert_close(trainer.model_inference(images), fused)
        head_logits = F.linear(torch.cat([text_film, image_film]), head.weight, head.bias)
        expected_loss = (1 - weight) * F.cross_entropy(similarity, labels) + weight * F.cross_entropy(
            head_logits, torch.cat([labels, labels]))
        loss, _ = trainer.compute_loss(images, labels)
        torch.testing.assert_close(loss, expected_loss)


def test_dept_atp_new_classes_use_the_prompt_similarity_only(build_trainer_only):
    trainer = build_trainer_only("DePT_ATP", "DATASET.SUBSAMPLE_CLASSES", "new")
    clip_model = trainer.clip_model
    images = evaluation_images(trainer)
    assert "linear_probe_proj" not in trainer.model
    with torch.no_grad():
        text = hand_text_features(clip_model, *hand_sequences(clip_model, trainer.prompt_learner))
        expected = scaled_cosine(clip_model, clip_model.encode_image(images), text)
        torch.testing.assert_close(trainer.model_inference(images), expected)


ATTRIBUTE_BLOCKS = {"ctx", "ctx_att1", "ctx_att2", "ctx_att3"}
META_NET = {f"meta_net.linear{i}.{kind}" for i in (1, 2) for kind in ("weight", "bias")}
MAPLE_COUPLING = {"proj.weight", "proj.bias", "compound_prompts_text.0",
                  "compound_prompt_projections.0.weight", "compound_prompt_projections.0.bias"}
FILM_AND_HEAD = {f"{module}.{kind}" for module, kinds in (("film_lp_img", ("scale", "bias")),
                                                          ("film_lp_text", ("scale", "bias")),
                                                          ("linear_probe_proj", ("weight", "bias")))
                 for kind in kinds}


@pytest.mark.parametrize("trainer_name,expected", [
    ("CoOp_ATP", ATTRIBUTE_BLOCKS),
    ("CoCoOp_ATP", ATTRIBUTE_BLOCKS | META_NET),
    ("MaPLe_ATP", {f"prompt_learner.{name}" for name in ATTRIBUTE_BLOCKS | MAPLE_COUPLING}),
    ("DePT_ATP", {f"prompt_learner.{name}" for name in ATTRIBUTE_BLOCKS} | FILM_AND_HEAD),
])
def test_trainable_set_is_the_spec_table_and_all_of_it_is_optimised(build_base, trainer_name, expected):
    trainer = build_base(trainer_name)
    trainable = {name: p for name, p in trainer.model.named_parameters() if p.requires_grad}
    assert set(trainable) == expected
    optimised = {id(p) for group in trainer._optims[trainer.learner_name].param_groups for p in group["params"]}
    assert {id(p) for p in trainable.values()} <= optimised


def draw(shape, std):
    tensor = torch.empty(shape)
    nn.init.normal_(tensor, std=std)
    return tensor


@pytest.mark.parametrize("trainer_name", ["CoOp_ATP", "CoCoOp_ATP", "MaPLe_ATP", "DePT_ATP"])
def test_initial_values_follow_upstreams_draw_order(build_base, trainer_name):
    """§1.3: class ctx (0.02) -> [meta-net | proj, deep prompts, deep projection] -> ctx_att1..3 (0.01) -> [DePT head]."""
    trainer = build_base(trainer_name)
    width, n_cls = trainer.prompt_learner.width, trainer.prompt_learner.n_cls
    torch.manual_seed(7)
    expected = {"ctx": draw((2, width), 0.02)}
    if trainer_name == "CoCoOp_ATP":
        embed = trainer.clip_model.text_projection.shape[1]
        first, second = nn.Linear(embed, embed // 16), nn.Linear(embed // 16, width)
        expected.update({"meta_net.linear1.weight": first.weight, "meta_net.linear2.weight": second.weight})
    if trainer_name == "MaPLe_ATP":
        visual_width = trainer.clip_model.visual.class_embedding.shape[0]
        proj = nn.Linear(width, visual_width)
        expected.update({"proj.weight": proj.weight, "compound_prompts_text.0": draw((2, width), 0.02),
                         "compound_prompt_projections.0.weight": nn.Linear(width, visual_width).weight})
    expected.update({f"ctx_att{k}": draw((2, width), 0.01) for k in (1, 2, 3)})
    head = nn.Linear(trainer.clip_model.text_projection.shape[1], n_cls) if trainer_name == "DePT_ATP" else None

    original = trainer.prompt_learner
    torch.manual_seed(7)
    learner = trainer.build_learner(original.classnames)
    layout, trainer.prompt_learner = trainer.prompt_learner, original
    for name, value in expected.items():
        assert torch.equal(layout.state_dict()[name].cpu(), value.detach()), name
    if head is not None:
        assert torch.equal(learner["linear_probe_proj"].weight.detach().cpu(), head.weight.detach())


def upstream_state_dict(trainer, other_class_count=5):
    """What the upstream trainer would have saved: learned tensors under our (= upstream's) names, in fp16
    where upstream keeps them in fp16, token buffers of another class list (token_middle3 included), and
    for the whole-model checkpoints (MaPLe_ATP, DePT_ATP) the frozen CLIP weights as well."""
    whole_model = trainer.learner_name != "prompt_learner"
    prefix = "prompt_learner." if whole_model else ""
    state = {}
    for name, param in trainer.model.named_parameters():
        fp32_upstream = "compound_prompt" in name or "film" in name
        state[name] = torch.randn(param.shape, dtype=torch.float32 if fp32_upstream else torch.float16)
    width = trainer.prompt_learner.width
    for buffer, length in (("token_prefix", 1), ("token_middle1", 1), ("token_middle2", 1), ("token_middle3", 1),
                           ("token_suffix", 77 - 9)):
        state[prefix + buffer] = torch.randn(other_class_count, length, width, dtype=torch.float16)
    if whole_model:
        state.update({"image_encoder.conv1.weight": torch.randn(8, 3, 16, 16), "logit_scale": torch.tensor(4.6),
                      "text_encoder.positional_embedding": torch.randn(77, width)})
    return state


@pytest.mark.parametrize("trainer_name", ["CoOp_ATP", "CoCoOp_ATP", "MaPLe_ATP", "DePT_ATP"])
def test_upstream_checkpoint_loads_every_learned_tensor_by_name(build_base, trainer_name, tmp_path):
    trainer = build_base(trainer_name)
    saved = upstream_state_dict(trainer)
    folder = tmp_path / trainer.learner_name
    folder.mkdir()
    torch.save({"state_dict": saved, "epoch": 3, "optimizer": None, "scheduler": None, "val_result": None},
               folder / "model.pth.tar-3")
    buffers_before = {name: value.clone() for name, value in trainer.model.named_buffers()}
    trainer.load_model(str(tmp_path), epoch=3)
    for name, param in trainer.model.named_parameters():
        assert torch.equal(param.detach().cpu(), saved[name].to(param.dtype)), name
    for name, value in trainer.model.named_buffers():
        assert torch.equal(value, buffers_before[name]), name


@pytest.mark.parametrize("trainer_name", ["CoOp_ATP", "MaPLe_ATP", "DePT_ATP"])
def test_own_checkpoints_hold_only_the_learner(build_base, trainer_name, tmp_path):
    trainer = build_base(trainer_name)
    trainer.save_model(0, str(tmp_path))
    saved = torch.load(tmp_path / trainer.learner_name / "model.pth.tar-1", weights_only=True)["state_dict"]
    assert set(saved) == set(trainer.model.state_dict())
    assert not any(key.startswith(("image_encoder", "text_encoder", "logit_scale")) for key in saved)
