"""The few-shot subset and its cache ``split_fewshot/shot_<K>-seed_<S>.pkl``.

The cache is what makes a seed's draw shared by every method and by base and new runs: it is
drawn once from all classes (original labels, before base/new subsampling) and reused after.
File name, pickle layout and draw order are the original's, so caches move both ways.
"""
import os
import warnings

from dassl.data.datasets import load_fewshot_pickle, save_fewshot_pickle

VAL_SHOTS_CAP = 4


def fewshot_cache_path(split_fewshot_dir, num_shots, seed):
    return os.path.join(split_fewshot_dir, f"shot_{num_shots}-seed_{seed}.pkl")


def fewshot_subset(reader, cfg, train, val=None):
    """Return ``(train, val)`` reduced to ``DATASET.NUM_SHOTS`` per class, from the cache when present.

    ``val`` is None for ImageNet, whose cache holds only ``train``; otherwise val keeps
    ``min(K, 4)`` per class. With ``NUM_SHOTS < 1`` both come back unchanged.
    """
    num_shots = cfg.DATASET.NUM_SHOTS
    if num_shots < 1:
        return train, val
    if cfg.SEED < 0:
        warnings.warn(
            f"DATASET.NUM_SHOTS={num_shots} with SEED={cfg.SEED}: the few-shot draw is unseeded and its "
            "cache file will be reused by every later run with this seed; pass --seed"
        )
    cache_path = fewshot_cache_path(reader.split_fewshot_dir, num_shots, cfg.SEED)
    if os.path.exists(cache_path):
        print(f"Loading preprocessed few-shot data from {cache_path}")
        cached = load_fewshot_pickle(cache_path, reader.dataset_dir)
        expected = ("train", "val") if val is not None else ("train",)
        if not isinstance(cached, dict) or any(key not in cached for key in expected):
            raise ValueError(f"Few-shot cache {cache_path} lacks {expected}; delete it to draw the subset again")
        return cached["train"], cached["val"] if val is not None else None

    train = reader.generate_fewshot_dataset(train, num_shots=num_shots)
    data = {"train": train}
    if val is not None:
        val = reader.generate_fewshot_dataset(val, num_shots=min(num_shots, VAL_SHOTS_CAP))
        data["val"] = val
    print(f"Saving preprocessed few-shot data to {cache_path}")
    save_fewshot_pickle(data, cache_path)
    return train, val
