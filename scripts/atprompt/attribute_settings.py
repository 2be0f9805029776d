"""Settings lines that override a run's attribute words, appended to a configs/atprompt/*.conf file.

    python -m scripts.atprompt.attribute_settings --file output/.../attribute_search.json
    python -m scripts.atprompt.attribute_settings --words shape,size
    python -m scripts.atprompt.attribute_settings --bases --file attributes.json     # for the search

Training runs take the search's `winner`; the search takes the LLM query's `attributes` as bases.
Printed lines are `KEY=value` for scripts/common.sh; the tag keeps such runs in their own folders.
"""
import argparse
import json
import re
import sys

WORD = re.compile(r"^[A-Za-z][A-Za-z-]*$")
MAX_TRAINING_WORDS = 3


def read_words(path, key):
    try:
        with open(path, encoding="utf-8") as f:
            content = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"Cannot read attribute file {path}: {error}")
    words = content.get(key) if isinstance(content, dict) else None
    if not isinstance(words, list) or not words:
        raise SystemExit(f'{path} has no "{key}" list: pass a search result (attribute_search.json) to train, '
                         "or a query result (attributes.json) with --bases")
    return words


def check_words(words, source):
    bad = [word for word in words if not isinstance(word, str) or not WORD.match(word)]
    if bad:
        raise SystemExit(f"Attribute words from {source} must be single words, got {bad}")
    return words


def training_lines(words):
    if len(words) > MAX_TRAINING_WORDS:
        raise SystemExit(f"ATPrompt trains with 1-{MAX_TRAINING_WORDS} attributes, got {words}")
    opts = [f"TRAINER.ATPROMPT.ATT_NUM {len(words)}"]
    opts += [f"TRAINER.ATPROMPT.ATT{k}_TEXT {word}" for k, word in enumerate(words, start=1)]
    return [f"ATTRIBUTE_OPTS={' '.join(opts)}", f"ATTRIBUTE_TAG=_att_{'_'.join(words)}"]


def search_lines(words):
    listing = ", ".join(f"'{word}'" for word in words)
    return [f'BASES_OPTS=SEARCH.ATTRIBUTES "[{listing}]"', f"BASES_TAG=_{'_'.join(words)}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="attribute_search.json (training) or attributes.json (--bases)")
    source.add_argument("--words", help="comma-separated words, e.g. shape,size")
    parser.add_argument("--bases", action="store_true", help="print the search's bases instead of training words")
    args = parser.parse_args(argv)
    if args.file:
        words = read_words(args.file, "attributes" if args.bases else "winner")
    else:
        words = [word.strip() for word in args.words.split(",") if word.strip()]
    words = check_words(words, args.file or "--words")
    print("\n".join(search_lines(words) if args.bases else training_lines(words)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
