"""CoCoOp: the class context is shifted per image by the meta-net."""
import torch

from trainers.parts.logits import cosine_logits


def test_each_image_is_scored_with_its_own_prompts(build_trainer_only):
    trainer = build_trainer_only("CoCoOp")
    images = torch.stack([trainer.test_loader.dataset[index]["img"] for index in (0, -1)]).to(trainer.device)
    with torch.no_grad():
        trainer.prompt_learner.meta_net.linear1.bias.fill_(1.0)  # the tiny 2-unit hidden layer must not be dead
        logits = trainer.logits(images)
        image_features = trainer.encode_images(images)
        shifts = trainer.prompt_learner.meta_net(image_features / image_features.norm(dim=-1, keepdim=True))
        for row in range(2):
            embeddings, pool_index = trainer.prompt_learner(class_shift=shifts[row:row + 1])
            text = trainer.text_encoder(embeddings[0], pool_index)
            torch.testing.assert_close(logits[row:row + 1], cosine_logits(image_features[row:row + 1], text,
                                                                           trainer.logit_scale))
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
