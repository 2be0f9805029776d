"""One training step and one evaluation of a built trainer, from fixed random states (shortcut equality tests)."""
import torch


def step_and_test(trainer):
    """(loss, {parameter name: gradient}, test logits) of one training batch and then the test set."""
    torch.manual_seed(0)
    batch = next(iter(trainer.train_loader_x))
    trainer.set_model_mode("train")
    images, labels = trainer.parse_batch_train(batch)
    loss, _ = trainer.training_loss(images, labels)
    loss.backward()
    gradients = {name: p.grad.clone() for name, p in trainer.model.named_parameters() if p.grad is not None}
    outputs = []
    process = trainer.evaluator.process
    trainer.evaluator.process = lambda output, label: (outputs.append(output.clone()), process(output, label))
    torch.manual_seed(1)
    trainer.test()
    return loss.detach(), gradients, torch.cat(outputs)
