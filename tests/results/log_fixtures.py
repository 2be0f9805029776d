"""Writers of Dassl-format logs for the results tests, shaped like the engine's and upstream's."""
import os

RESULT_BLOCK = """=> result
* total: {total:,}
* correct: {correct:,}
* accuracy: {accuracy:.3f}%
* error: {error:.2f}%
* macro_f1: {macro_f1:.2f}%
"""

# Abridged from a released upstream anchor pre-training log (DTD, seed 1): banner, config dump head,
# a NaN loss line, and the end of training with its final result.
UPSTREAM_TRAIN_EXCERPT = """***************
** Arguments **
***************
backbone: 
config_file: configs/trainers/CoOp/vit_b16.yaml
dataset_config_file: configs/datasets/dtd.yaml
eval_only: False
head: 
load_epoch: None
model_dir: 
no_train: False
opts: ['TRAINER.COOP.N_CTX', '4', 'TRAINER.COOP.CSC', 'False', 'DATASET.NUM_SHOTS', '16', 'DATASET.SUBSAMPLE_CLASSES', 'base', 'OPTIM.MAX_EPOCH', '100']
output_dir: output/dtd/CoOp_dyntoken_1anchor_template/vit_b16_16shots/CTX_4_ACTX_1_EPO_100_MSE_1000.0_CE_1000.0/seed1
resume: 
root: /mnt/datasets/prompt_learning
seed: 1
source_domains: None
target_domains: None
trainer: CoOp_dyntoken_1anchor_template
transforms: None
************
** Config **
************
DATALOADER:
  K_TRANSFORMS: 1
  NUM_WORKERS: 8
  TEST:
    BATCH_SIZE: 100
    SAMPLER: SequentialSampler
DATASET:
  ALL_AS_UNLABELED: False
  NAME: DescribableTextures
  NUM_SHOTS: 16
  ROOT: /mnt/datasets/prompt_learning
  SOURCE_DOMAINS: ()
  SUBSAMPLE_CLASSES: base
SEED: 1
Loading trainer: CoOp_dyntoken_1anchor_template
Loading dataset: DescribableTextures
Reading split from /mnt/datasets/prompt_learning/dtd/split_zhou_DescribableTextures.json
SUBSAMPLE BASE CLASSES!
epoch [1/100] batch [1/12] time 1.369 (1.369) data 0.791 (0.791) loss_val 2404.0000 (2404.0000) lr 1.0000e-05 eta 0:27:21
epoch [2/100] batch [7/12] time 0.280 (0.362) data 0.000 (0.073) loss_val nan (nan) lr 2.0000e-03 eta 0:07:07
epoch [100/100] batch [12/12] time 0.280 (0.339) data 0.000 (0.044) loss_val nan (nan) lr 4.9344e-07 eta 0:00:00
Checkpoint saved to output/dtd/CoOp_dyntoken_1anchor_template/vit_b16_16shots/CTX_4_ACTX_1_EPO_100_MSE_1000.0_CE_1000.0/seed1/anchor_prompt_learner/model.pth.tar-100
Finish training
Deploy the last-epoch model
Evaluate on the *test* set
evaluate on anchor prompts
=> result
* total: 864
* correct: 482
* accuracy: 55.787%
* error: 44.21%
* macro_f1: 51.52%
Elapsed: 0:06:45
"""

# Abridged from the matching upstream eval-only log (novel classes): no "Finish training", no "Elapsed".
UPSTREAM_EVAL_EXCERPT = """***************
** Arguments **
***************
config_file: configs/trainers/CoOp/vit_b16.yaml
dataset_config_file: configs/datasets/dtd.yaml
eval_only: True
load_epoch: 100
model_dir: output/dtd/CoOp_dyntoken_1anchor_template/vit_b16_16shots/CTX_4_ACTX_1_EPO_100_MSE_1000.0_CE_1000.0/seed1
opts: ['DATASET.SUBSAMPLE_CLASSES', 'new', 'TRAINER.COOP.N_CTX', '4']
output_dir: output/dtd/CoOp_dyntoken_1anchor_template/vit_b16_16shots/CTX_4_ACTX_1_EPO_100_MSE_1000.0_CE_1000.0/seed1/evaluation
seed: 1
trainer: CoOp_dyntoken_1anchor_template
************
** Config **
************
DATASET:
  NAME: DescribableTextures
  NUM_SHOTS: 16
  SUBSAMPLE_CLASSES: new
SEED: 1
Loading trainer: CoOp_dyntoken_1anchor_template
---------  -------------------
Dataset    DescribableTextures
# classes  23
---------  -------------------
Loading weights to anchor_prompt_learner from "output/dtd/CoOp_dyntoken_1anchor_template/vit_b16_16shots/CTX_4_ACTX_1_EPO_100_MSE_1000.0_CE_1000.0/seed1/anchor_prompt_learner/model.pth.tar-100" (epoch = 100)
Evaluate on the *test* set
evaluate on anchor prompts
=> result
* total: 828
* correct: 518
* accuracy: 62.560%
* error: 37.44%
* macro_f1: 60.07%
"""


def result_block(accuracy, total=1000):
    correct = round(total * accuracy / 100)
    return RESULT_BLOCK.format(total=total, correct=correct, accuracy=accuracy, error=100 - accuracy,
                               macro_f1=accuracy - 1)


def run_log_text(trainer, dataset_stem, dataset_name, seed, subsample, accuracy, output_dir,
                 eval_only=False, model_dir="", val_accuracies=(), max_epoch=2):
    """A log as train.py writes it; `accuracy=None` stops it mid-training (an unfinished run)."""
    opts = ["DATASET.NUM_SHOTS", "16", "DATASET.SUBSAMPLE_CLASSES", subsample, "OPTIM.MAX_EPOCH", str(max_epoch)]
    arguments = {
        "backbone": "", "config_file": f"configs/trainers/{trainer}/vit_b16.yaml",
        "dataset_config_file": f"configs/datasets/{dataset_stem}.yaml", "eval_only": str(eval_only),
        "head": "", "load_epoch": str(max_epoch) if eval_only else "None", "model_dir": model_dir,
        "no_train": "False", "opts": str(opts), "output_dir": output_dir, "resume": "",
        "root": "/data", "seed": str(seed), "source_domains": "None", "target_domains": "None",
        "trainer": trainer, "transforms": "None",
    }
    lines = ["***************", "** Arguments **", "***************"]
    lines += [f"{key}: {arguments[key]}" for key in sorted(arguments)]
    lines += ["************", "** Config **", "************", "DATASET:", f"  NAME: {dataset_name}",
              "  NUM_SHOTS: 16", f"  SUBSAMPLE_CLASSES: {subsample}", "OPTIM:", f"  MAX_EPOCH: {max_epoch}",
              f"OUTPUT_DIR: {output_dir}", f"SEED: {seed}", "TRAINER:", f"  NAME: {trainer}",
              f"Loading trainer: {trainer}", f"Loading dataset: {dataset_name}"]
    text = "\n".join(lines) + "\n"
    if not eval_only:
        text += "No checkpoint found, train from scratch\n"
        for epoch, val_accuracy in enumerate(val_accuracies or [None] * max_epoch, start=1):
            text += (f"epoch [{epoch}/{max_epoch}] batch [1/1] time 0.100 (0.100) data 0.010 (0.010) "
                     f"loss 1.2345 (1.2345) acc 50.0000 (50.0000) lr 2.0000e-03 eta 0:00:01\n")
            if val_accuracy is not None:
                text += "Evaluate on the *val* set\n" + result_block(val_accuracy)
        if accuracy is None:
            return text
        text += f"Checkpoint saved to {output_dir}/prompt_learner/model.pth.tar-{max_epoch}\n"
        text += "Finish training\nDeploy the last-epoch model\n"
    elif accuracy is None:
        return text
    text += "Evaluate on the *test* set\n" + result_block(accuracy)
    return text + ("" if eval_only else "Elapsed: 0:00:05\n")


def write_log(run_dir, text, name="log.txt"):
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def write_base_to_novel_run(root, trainer, dataset_stem, dataset_name, seed, base, novel):
    """Train log (base) at the scripts' path plus `<train dir>/evaluation` (novel); None skips/stops one."""
    train_dir = os.path.join(root, dataset_stem, trainer, "vit_b16_16shots", "CTX_4_epo_2", f"seed{seed}")
    write_log(train_dir, run_log_text(trainer, dataset_stem, dataset_name, seed, "base", base, train_dir))
    if novel is not None:
        eval_dir = os.path.join(train_dir, "evaluation")
        write_log(eval_dir, run_log_text(trainer, dataset_stem, dataset_name, seed, "new", novel, eval_dir,
                                         eval_only=True, model_dir=train_dir))
    return train_dir
