"""Text-only-prompt trainers: the frozen image tower records no autograd graph in a training step."""
import pytest

from tests.trainers.train_runs import run_train, small_dataset  # noqa: F401  (fixture)


@pytest.mark.parametrize("trainer_name", ["CoOp", "DePT"])
def test_training_image_features_carry_no_graph(trainer_name, small_dataset, tiny_vit_checkpoint,  # noqa: F811
                                                tmp_path):
    """So wrapping the image encoder in torch.no_grad() would save neither time nor memory."""
    trainer = run_train(small_dataset, tiny_vit_checkpoint, trainer_name, tmp_path, flags=["--no-train"],
                        opts=["DATASET.SUBSAMPLE_CLASSES", "base"])
    trainer.set_model_mode("train")
    images, _ = trainer.parse_batch_train(next(iter(trainer.train_loader_x)))
    features = trainer.encode_images(images)
    assert features.grad_fn is None and not features.requires_grad
    assert trainer.class_text_features().requires_grad
