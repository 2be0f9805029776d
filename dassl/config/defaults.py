"""Dassl's full default config tree; every key has the original default, so logs print the same dump."""
from .node import CfgNode as CN

_C = CN()

_C.VERSION = 1
_C.OUTPUT_DIR = "./output"  # log, checkpoints and cmat go here
_C.RESUME = ""  # resume from this folder instead of OUTPUT_DIR when non-empty
_C.SEED = -1  # >= 0 fixes every RNG; also part of the few-shot cache name
_C.USE_CUDA = True  # use CUDA when available
_C.VERBOSE = True  # print builder messages and the dataset summary

_C.INPUT = CN()
_C.INPUT.SIZE = (224, 224)  # (H, W)
_C.INPUT.INTERPOLATION = "bilinear"  # bilinear, bicubic or nearest
_C.INPUT.TRANSFORMS = ()  # names from dassl.data.transforms.AVAILABLE_TRANSFORMS
_C.INPUT.NO_TRANSFORM = False  # True: no transform at all
_C.INPUT.PIXEL_MEAN = [0.485, 0.456, 0.406]
_C.INPUT.PIXEL_STD = [0.229, 0.224, 0.225]
_C.INPUT.CROP_PADDING = 4  # random_crop
_C.INPUT.RRCROP_SCALE = (0.08, 1.0)  # random_resized_crop
_C.INPUT.CUTOUT_N = 1
_C.INPUT.CUTOUT_LEN = 16
_C.INPUT.GN_MEAN = 0.0  # gaussian_noise
_C.INPUT.GN_STD = 0.15
_C.INPUT.RANDAUGMENT_N = 2
_C.INPUT.RANDAUGMENT_M = 10
_C.INPUT.COLORJITTER_B = 0.4
_C.INPUT.COLORJITTER_C = 0.4
_C.INPUT.COLORJITTER_S = 0.4
_C.INPUT.COLORJITTER_H = 0.1
_C.INPUT.RGS_P = 0.2  # randomgrayscale probability
_C.INPUT.GB_P = 0.5  # gaussian_blur probability
_C.INPUT.GB_K = 21  # gaussian_blur kernel size

_C.DATASET = CN()
_C.DATASET.ROOT = ""  # parent folder of all datasets
_C.DATASET.NAME = ""  # registry name of the reader
_C.DATASET.SOURCE_DOMAINS = ()
_C.DATASET.TARGET_DOMAINS = ()
_C.DATASET.NUM_LABELED = -1
_C.DATASET.NUM_SHOTS = -1  # < 1: the full training set
_C.DATASET.VAL_PERCENT = 0.1
_C.DATASET.STL10_FOLD = -1
_C.DATASET.CIFAR_C_TYPE = ""
_C.DATASET.CIFAR_C_LEVEL = 1
_C.DATASET.ALL_AS_UNLABELED = False
_C.DATASET.SUBSAMPLE_CLASSES = "all"  # all, base or new (base-to-new protocol); added by upstream train.py
# Order of image files read from class folders (split creation without a split JSON, ImageNet's
# preprocessed.pkl): "filesystem" is upstream's os.listdir order, which fixed its seeded draws on
# its machines; "sorted" gives the same split and few-shot draw on every machine.
_C.DATASET.LISTING_ORDER = "filesystem"

_C.DATALOADER = CN()
_C.DATALOADER.NUM_WORKERS = 4
_C.DATALOADER.K_TRANSFORMS = 1  # apply the train transform K times per image
_C.DATALOADER.RETURN_IMG0 = False  # also return the un-augmented image
# True: training item i's augmentation in epoch e draws from generators seeded by (SEED, e, i), so the
# view is the same for any worker or GPU count, method or initialisation (what a shared training-feature
# cache needs); False = the global random streams, as the original code
_C.DATALOADER.PER_SAMPLE_SEEDS = False
_C.DATALOADER.TRAIN_X = CN()
_C.DATALOADER.TRAIN_X.SAMPLER = "RandomSampler"
_C.DATALOADER.TRAIN_X.BATCH_SIZE = 32
_C.DATALOADER.TRAIN_X.N_DOMAIN = 0  # RandomDomainSampler: domains per batch (0 = all)
_C.DATALOADER.TRAIN_X.N_INS = 16  # RandomClassSampler: instances per class
_C.DATALOADER.TRAIN_U = CN()
_C.DATALOADER.TRAIN_U.SAME_AS_X = True  # reuse the TRAIN_X settings
_C.DATALOADER.TRAIN_U.SAMPLER = "RandomSampler"
_C.DATALOADER.TRAIN_U.BATCH_SIZE = 32
_C.DATALOADER.TRAIN_U.N_DOMAIN = 0
_C.DATALOADER.TRAIN_U.N_INS = 16
_C.DATALOADER.TEST = CN()
_C.DATALOADER.TEST.SAMPLER = "SequentialSampler"
_C.DATALOADER.TEST.BATCH_SIZE = 32

_C.MODEL = CN()
_C.MODEL.INIT_WEIGHTS = ""  # path to weights loaded by the trainer
_C.MODEL.BACKBONE = CN()
_C.MODEL.BACKBONE.NAME = ""  # for CLIP trainers: the CLIP model name, e.g. ViT-B/16
_C.MODEL.BACKBONE.PRETRAINED = True
_C.MODEL.HEAD = CN()
_C.MODEL.HEAD.NAME = ""
_C.MODEL.HEAD.HIDDEN_LAYERS = ()
_C.MODEL.HEAD.ACTIVATION = "relu"
_C.MODEL.HEAD.BN = True
_C.MODEL.HEAD.DROPOUT = 0.0

_C.OPTIM = CN()
_C.OPTIM.NAME = "adam"  # adam, amsgrad, sgd, rmsprop, radam or adamw
_C.OPTIM.LR = 0.0003
_C.OPTIM.WEIGHT_DECAY = 5e-4
_C.OPTIM.MOMENTUM = 0.9
_C.OPTIM.SGD_DAMPNING = 0
_C.OPTIM.SGD_NESTEROV = False
_C.OPTIM.RMSPROP_ALPHA = 0.99
_C.OPTIM.ADAM_BETA1 = 0.9
_C.OPTIM.ADAM_BETA2 = 0.999
_C.OPTIM.STAGED_LR = False  # NEW_LAYERS train at LR, the rest at LR * BASE_LR_MULT
_C.OPTIM.NEW_LAYERS = ()
_C.OPTIM.BASE_LR_MULT = 0.1
_C.OPTIM.LR_SCHEDULER = "single_step"  # single_step, multi_step or cosine
_C.OPTIM.STEPSIZE = (-1,)  # -1 (or <= 0): MAX_EPOCH
_C.OPTIM.GAMMA = 0.1
_C.OPTIM.MAX_EPOCH = 10
_C.OPTIM.WARMUP_EPOCH = -1  # > 0 enables warm-up
_C.OPTIM.WARMUP_TYPE = "linear"  # constant or linear
_C.OPTIM.WARMUP_CONS_LR = 1e-5  # LR of constant warm-up
_C.OPTIM.WARMUP_MIN_LR = 1e-5  # first LR of linear warm-up
_C.OPTIM.WARMUP_RECOUNT = True  # restart the base schedule after warm-up (False: as if warm-up epochs counted)

_C.TRAIN = CN()
_C.TRAIN.CHECKPOINT_FREQ = 0  # save every N epochs (0: only the last)
_C.TRAIN.PRINT_FREQ = 10  # log every N batches (every batch if an epoch has fewer)
_C.TRAIN.COUNT_ITER = "train_x"  # TrainerXU: train_x, train_u or smaller_one

_C.TEST = CN()
_C.TEST.EVALUATOR = "Classification"
_C.TEST.PER_CLASS_RESULT = False
_C.TEST.COMPUTE_CMAT = False  # save a row-normalised confusion matrix to OUTPUT_DIR/cmat.pt
_C.TEST.NO_TEST = False  # skip the final test
_C.TEST.SPLIT = "test"  # test or val
_C.TEST.FINAL_MODEL = "last_step"  # last_step or best_val

_C.TRAINER = CN()
_C.TRAINER.NAME = ""  # registry name of the trainer
# The sub-nodes below belong to Dassl's DA/DG/SSL trainers; kept so configs and log dumps match.
_C.TRAINER.MCD = CN()
_C.TRAINER.MCD.N_STEP_F = 4
_C.TRAINER.MME = CN()
_C.TRAINER.MME.LMDA = 0.1
_C.TRAINER.CDAC = CN()
_C.TRAINER.CDAC.CLASS_LR_MULTI = 10
_C.TRAINER.CDAC.RAMPUP_COEF = 30
_C.TRAINER.CDAC.RAMPUP_ITRS = 1000
_C.TRAINER.CDAC.TOPK_MATCH = 5
_C.TRAINER.CDAC.P_THRESH = 0.95
_C.TRAINER.CDAC.STRONG_TRANSFORMS = ()
_C.TRAINER.SE = CN()
_C.TRAINER.SE.EMA_ALPHA = 0.999
_C.TRAINER.SE.CONF_THRE = 0.95
_C.TRAINER.SE.RAMPUP = 300
_C.TRAINER.M3SDA = CN()
_C.TRAINER.M3SDA.LMDA = 0.5
_C.TRAINER.M3SDA.N_STEP_F = 4
_C.TRAINER.DAEL = CN()
_C.TRAINER.DAEL.WEIGHT_U = 0.5
_C.TRAINER.DAEL.CONF_THRE = 0.95
_C.TRAINER.DAEL.STRONG_TRANSFORMS = ()
_C.TRAINER.CROSSGRAD = CN()
_C.TRAINER.CROSSGRAD.EPS_F = 1.0
_C.TRAINER.CROSSGRAD.EPS_D = 1.0
_C.TRAINER.CROSSGRAD.ALPHA_F = 0.5
_C.TRAINER.CROSSGRAD.ALPHA_D = 0.5
_C.TRAINER.DDAIG = CN()
_C.TRAINER.DDAIG.G_ARCH = ""
_C.TRAINER.DDAIG.LMDA = 0.3
_C.TRAINER.DDAIG.CLAMP = False
_C.TRAINER.DDAIG.CLAMP_MIN = -1.0
_C.TRAINER.DDAIG.CLAMP_MAX = 1.0
_C.TRAINER.DDAIG.WARMUP = 0
_C.TRAINER.DDAIG.ALPHA = 0.5
_C.TRAINER.DAELDG = CN()
_C.TRAINER.DAELDG.WEIGHT_U = 0.5
_C.TRAINER.DAELDG.CONF_THRE = 0.95
_C.TRAINER.DAELDG.STRONG_TRANSFORMS = ()
_C.TRAINER.DOMAINMIX = CN()
_C.TRAINER.DOMAINMIX.TYPE = "crossdomain"
_C.TRAINER.DOMAINMIX.ALPHA = 1.0
_C.TRAINER.DOMAINMIX.BETA = 1.0
_C.TRAINER.ENTMIN = CN()
_C.TRAINER.ENTMIN.LMDA = 1e-3
_C.TRAINER.MEANTEACHER = CN()
_C.TRAINER.MEANTEACHER.WEIGHT_U = 1.0
_C.TRAINER.MEANTEACHER.EMA_ALPHA = 0.999
_C.TRAINER.MEANTEACHER.RAMPUP = 5
_C.TRAINER.MIXMATCH = CN()
_C.TRAINER.MIXMATCH.WEIGHT_U = 100.0
_C.TRAINER.MIXMATCH.TEMP = 2.0
_C.TRAINER.MIXMATCH.MIXUP_BETA = 0.75
_C.TRAINER.MIXMATCH.RAMPUP = 20000
_C.TRAINER.FIXMATCH = CN()
_C.TRAINER.FIXMATCH.WEIGHT_U = 1.0
_C.TRAINER.FIXMATCH.CONF_THRE = 0.95
_C.TRAINER.FIXMATCH.STRONG_TRANSFORMS = ()
