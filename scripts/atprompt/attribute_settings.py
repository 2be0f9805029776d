"""train.py options that override a run's attribute words, and the folder tag that keeps such runs apart.

Training runs take the search's `winner` (ATTRIBUTES_FILE=<run>/attribute_search.json) or ATTRIBUTES=shape,size;
the search takes the LLM query's `attributes` as bases (BASES_FILE=attributes.json). The launcher applies
them to trainers whose configs/runs/<Trainer>.yaml says `attributes: train` or `attributes: search`.
"""
import json
import re

WORD = re.compile(r"^[A-Za-z][A-Za-z-]*$")
MAX_TRAINING_WORDS = 3


class AttributeWordsError(ValueError):
    """A bad attribute file or word list; the message names it."""


def read_words(path, key):
    try:
        with open(path, encoding="utf-8") as f:
            content = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise AttributeWordsError(f"Cannot read attribute file {path}: {error}") from None
    words = content.get(key) if isinstance(content, dict) else None
    if not isinstance(words, list) or not words:
        raise AttributeWordsError(f'{path} has no "{key}" list: pass a search result (attribute_search.json) to train, '
                              "or a query result (attributes.json) as BASES_FILE")
    return words


def check_words(words, source):
    bad = [word for word in words if not isinstance(word, str) or not WORD.match(word)]
    if bad:
        raise AttributeWordsError(f"Attribute words from {source} must be single words, got {bad}")
    return words


def training_override(words):
    """(train.py options, folder tag) that train ATPrompt with `words`."""
    if len(words) > MAX_TRAINING_WORDS:
        raise AttributeWordsError(f"ATPrompt trains with 1-{MAX_TRAINING_WORDS} attributes, got {words}")
    opts = ["TRAINER.ATPROMPT.ATT_NUM", str(len(words))]
    for k, word in enumerate(words, start=1):
        opts += [f"TRAINER.ATPROMPT.ATT{k}_TEXT", word]
    return tuple(opts), f"_att_{'_'.join(words)}"


def search_override(words):
    """(train.py options, folder tag) that search over the bases `words`."""
    listing = ", ".join(f"'{word}'" for word in words)
    return ("SEARCH.ATTRIBUTES", f"[{listing}]"), f"_{'_'.join(words)}"


def override_from_environment(mode, env):
    """The override the environment asks for (`mode` train or search), or ((), "") when none."""
    if mode == "train" and env.get("ATTRIBUTES_FILE"):
        path = env["ATTRIBUTES_FILE"]
        return training_override(check_words(read_words(path, "winner"), path))
    if mode == "train" and env.get("ATTRIBUTES"):
        words = [word.strip() for word in env["ATTRIBUTES"].split(",") if word.strip()]
        return training_override(check_words(words, "ATTRIBUTES"))
    if mode == "search" and env.get("BASES_FILE"):
        path = env["BASES_FILE"]
        return search_override(check_words(read_words(path, "attributes"), path))
    return (), ""
