from .transforms import AVAILABLE_TRANSFORMS, INTERPOLATION_MODES, build_transform
