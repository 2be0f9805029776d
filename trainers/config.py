"""Config keys the trainers add to Dassl's defaults, contributed by each part through a small registry.

`train.py` calls `extend_cfg` (every registered extension, in import order) before merging any file,
and `finalize_cfg` after all merges; plug-ins register their own keys and finalizers in their modules.
"""
from dassl.config import CfgNode as CN

CONFIG_EXTENSIONS = []
CONFIG_FINALIZERS = []


def config_extension(add_keys):
    """Register a function `add_keys(cfg)` that declares config keys with their defaults."""
    CONFIG_EXTENSIONS.append(add_keys)
    return add_keys


def config_finalizer(adjust):
    """Register a function `adjust(cfg)` run after the command-line overrides (spec 4.1 step 7)."""
    CONFIG_FINALIZERS.append(adjust)
    return adjust


def extend_cfg(cfg):
    for add_keys in CONFIG_EXTENSIONS:
        add_keys(cfg)


def finalize_cfg(cfg):
    for adjust in CONFIG_FINALIZERS:
        adjust(cfg)


def section(node, name):
    """Sub-node `name` of `node`, created empty if missing."""
    if name not in node:
        node[name] = CN()
    return node[name]


@config_extension
def add_shared_keys(cfg):
    cfg.MODEL.BACKBONE.CACHE_DIR = ""  # download folder of official CLIP weights ("" = ~/.cache/clip)
    # False (upstream, shaped the published numbers): under PREC fp16 the prompt tensors upstream makes
    # "in the model dtype" are fp16 parameters trained by plain fp16 SGD (spec 6.2 item 1);
    # True: fp32 master copies cast at use, which avoids fp16 update underflow
    cfg.TRAINER.FP32_MASTER_WEIGHTS = False
    text_encoder = section(cfg.TRAINER, "TEXT_ENCODER")
    text_encoder.TRUNCATE_AT_EOT = True  # cut sequences after the last EOT (exact under the causal mask)
    text_encoder.SHARE_PREFIX = True  # encode the positions all classes share once per prompt set (exact too)


@config_extension
def add_unused_upstream_keys(cfg):
    """Keys upstream declares for methods not implemented here, so its command lines still merge."""
    ivlp = section(cfg.TRAINER, "IVLP")
    ivlp.N_CTX_VISION = 2
    ivlp.N_CTX_TEXT = 2
    ivlp.CTX_INIT = "a photo of a"
    ivlp.PREC = "fp16"
    ivlp.PROMPT_DEPTH_VISION = 9
    ivlp.PROMPT_DEPTH_TEXT = 9
    ivlp.IMG_WEIGHT = 0.5
    vpt = section(cfg.TRAINER, "VPT")
    vpt.N_CTX_VISION = 2
    vpt.CTX_INIT = "a photo of a"
    vpt.PREC = "fp16"
    vpt.PROMPT_DEPTH_VISION = 1
