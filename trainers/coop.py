"""CoOp (Zhou et al., IJCV 2022): learnable context tokens in front of the class name, frozen CLIP."""
from dassl.engine import TRAINER_REGISTRY

from .config import config_extension, section
from .parts.prompt_layout import ContextSpec
from .parts.prompt_trainer import PromptTrainer


@config_extension
def add_coop_keys(cfg):
    coop = section(cfg.TRAINER, "COOP")
    coop.N_CTX = 16  # number of context tokens
    coop.CSC = False  # class-specific context
    coop.CTX_INIT = ""  # initialisation words, e.g. "a photo of a" ("" = random); upstream's False was a bug
    coop.PREC = "fp16"  # fp16, fp32 or amp
    coop.CLASS_TOKEN_POSITION = "end"  # end, middle or front
    coop.W = 2.0  # KgCoOp's knowledge-guided loss weight (8.0 in configs/trainers/KgCoOp); CoOp and DePT ignore it


def word_context(method_cfg, class_specific=False, class_token_position="end"):
    """CoOp/CoCoOp context: CTX_INIT words set both the init and the number of tokens (spec 3.2)."""
    init_text = method_cfg.CTX_INIT.replace("_", " ")
    if init_text:
        return ContextSpec(len(init_text.split(" ")), init_text, False, class_token_position)
    return ContextSpec(method_cfg.N_CTX, "", class_specific, class_token_position)


@TRAINER_REGISTRY.register()
class CoOp(PromptTrainer):
    config_section = "COOP"

    def context(self):
        coop = self.method_cfg
        return word_context(coop, coop.CSC, coop.CLASS_TOKEN_POSITION)

    def build_learner(self, classnames):
        self.prompt_learner = self.build_layout(classnames, self.context())
        return self.prompt_learner
