"""Zero-shot CLIP: hand-written templates, nothing trained."""
from dassl.engine import TRAINER_REGISTRY, TrainerX

from .config import config_extension, section
from .parts.cached_test_features import CachedTestFeatures
from .parts.clip_setup import load_clip
from .parts.logits import l2_normalize, scaled_similarity
from .parts.templates import dataset_template, ensemble_templates
from .parts.zero_shot import template_text_features


@config_extension
def add_zsclip_keys(cfg):
    zsclip = section(cfg.TRAINER, "ZSCLIP")
    zsclip.TEMPLATE = ""  # overrides the per-dataset template table, e.g. "a photo of a {}." ("" = table)


@TRAINER_REGISTRY.register()
class ZeroshotCLIP(CachedTestFeatures, TrainerX):
    """CoOp's per-dataset template on the fp16 CLIP (upstream never upcasts it, whatever PREC says)."""

    def templates(self):
        return [dataset_template(self.cfg.DATASET.NAME, self.cfg.TRAINER.ZSCLIP.TEMPLATE)]

    def build_data_loader(self):
        """Nothing trains, so no few-shot draw: upstream's unseeded draw wrote shot_16-seed_-1.pkl into the
        cache every method shares (spec 5.5). The test split, base/new halves included, is unchanged."""
        cfg = self.cfg
        self.cfg = cfg.clone()
        self.cfg.defrost()
        self.cfg.DATASET.NUM_SHOTS = -1
        self.cfg.freeze()
        try:
            super().build_data_loader()
        finally:
            self.cfg = cfg

    def build_model(self):
        self.clip_model = load_clip(self.cfg, "fp16", self.device)
        templates = self.templates()
        print(f"Prompt templates: {templates}")
        self.text_units = template_text_features(self.clip_model, self.dm.dataset.classnames, templates)

    def encode_images(self, images):
        return images if self.serving_cached_features else self.clip_model.encode_image(images)

    def model_inference(self, images):
        image_units = l2_normalize(self.encode_images(images))
        return scaled_similarity(image_units, self.text_units, self.clip_model.logit_scale)


@TRAINER_REGISTRY.register()
class ZeroshotCLIP2(ZeroshotCLIP):
    """Prompt ensemble: the 7 selected ImageNet templates plus the dataset's own."""

    def templates(self):
        return ensemble_templates(self.cfg.DATASET.NAME, self.cfg.TRAINER.ZSCLIP.TEMPLATE)
