"""CoCoOp: the class context is shifted per image by the meta-net."""
import torch
from torch.nn import functional as F

from trainers.parts.logits import cosine_logits


def test_logits_and_loss_follow_the_spec_formula(build_trainer_only):
    """pi = linear2(relu(linear1(f/|f|))); ctx_b = ctx + pi_b; logits_b = exp(s) * f_b/|f_b| . t_b/|t_b| (spec 3.3)."""
    trainer = build_trainer_only("CoCoOp")
    learner, clip_model = trainer.prompt_learner, trainer.clip_model
    images = torch.stack([trainer.test_loader.dataset[index]["img"] for index in (0, -1)]).to(trainer.device)
    labels = torch.tensor([0, 1])
    with torch.no_grad():
        learner.meta_net.linear1.bias.fill_(1.0)  # the tiny 2-unit hidden layer must not be dead
        features = clip_model.encode_image(images)
        units = features / features.norm(dim=-1, keepdim=True)
        net = learner.meta_net
        shifts = F.linear(F.relu(F.linear(units, net.linear1.weight, net.linear1.bias)), net.linear2.weight,
                          net.linear2.bias)
        rows = []
        for unit, shift in zip(units, shifts):
            context = (learner.ctx + shift).expand(learner.n_cls, -1, -1)
            prompts = torch.cat([learner.token_prefix, context, learner.token_suffix], dim=1)
            text = clip_model.encode_text_embeddings(prompts, learner.tokenized_prompts.argmax(-1), truncate=False)
            rows.append(clip_model.logit_scale.exp() * unit @ (text / text.norm(dim=-1, keepdim=True)).t())
        expected = torch.stack(rows)
        torch.testing.assert_close(trainer.logits(images), expected)
        torch.testing.assert_close(trainer.compute_loss(images, labels)[0], F.cross_entropy(expected, labels))
    assert not torch.allclose(shifts[0], shifts[1])


def test_zero_meta_net_reduces_to_shared_prompts(build_trainer_only):
    trainer = build_trainer_only("CoCoOp")
    with torch.no_grad():
        trainer.prompt_learner.meta_net.linear2.weight.zero_()
        trainer.prompt_learner.meta_net.linear2.bias.zero_()
        images = trainer.parse_batch_test(next(iter(trainer.test_loader)))[0]
        embeddings, pool_index = trainer.prompt_learner()
        shared = cosine_logits(trainer.encode_images(images), trainer.text_encoder(embeddings, pool_index),
                               trainer.logit_scale)
        torch.testing.assert_close(trainer.model_inference(images), shared)


def test_meta_net_trains_with_the_context(build_trainer_only):
    trainer = build_trainer_only("CoCoOp")
    trainable = {name for name, p in trainer.model.named_parameters() if p.requires_grad}
    assert trainable == {"ctx", "meta_net.linear1.weight", "meta_net.linear1.bias",
                         "meta_net.linear2.weight", "meta_net.linear2.bias"}
    assert trainer.prompt_learner.meta_net.linear1.out_features == trainer.clip_model.text_projection.shape[1] // 16
