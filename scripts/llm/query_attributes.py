"""Ask an LLM for a dataset's attribute bases (ATPrompt search step 1, spec §1.6.1).

Two chained calls, as in the paper: (1) one detailed sentence per class, (2) from those sentences,
``--num-attributes`` general, independent attributes, each a single noun. The result is written
atomically as JSON; ``scripts/atprompt/search_attributes.sh`` reads its ``attributes`` list.

    python -m scripts.llm.query_attributes --dataset OxfordPets \
        --classnames-file pets.txt --out output/OxfordPets/attributes.json

Endpoint, model and key come from ``OPENAI_BASE_URL`` / ``OPENAI_MODEL`` / the variable named by
``--api-key-env`` (default ``OPENAI_API_KEY``), or from the flags. The key itself is never a flag,
so it cannot leak through the process list or shell history.
"""
import argparse
import sys

from dassl.utils import write_json
from scripts.llm.client import ChatClient, LLMError, MalformedResponseError, add_endpoint_arguments

DESCRIBE_INSTRUCTIONS = (
    "You are helping to describe the categories of an image-classification dataset. Think step by step. "
    "For every category listed below, write one detailed sentence describing how it looks and what "
    "characterises it (for example its shape, colour, material, typical habits, habitat or function). "
    'Answer with a JSON object only, of the form {"descriptions": {"<category>": "<sentence>", ...}}, '
    "with exactly the category names given."
)
SUMMARISE_INSTRUCTIONS = (
    "Below are descriptions of the categories of one dataset. Summarise {k} general and independent "
    "attributes that these categories share and that help tell them apart. Each attribute must be one "
    'single noun (one word, no spaces). Answer with a JSON object only: {{"COMMON_ATTRIBUTES": [...]}} '
    "holding exactly {k} words."
)


def read_classnames(path):
    """One class name per line; blank lines ignored, underscores read as spaces (CoOp convention)."""
    try:
        with open(path, encoding="utf-8") as f:
            names = [line.strip().replace("_", " ") for line in f if line.strip()]
    except OSError as error:
        raise SystemExit(f"Cannot read --classnames-file {path}: {error.strerror}")
    if not names:
        raise SystemExit(f"--classnames-file {path} holds no class names (expected one per line)")
    return names


def query_descriptions(client, dataset, classnames):
    listing = "\n".join(f"- {name}" for name in classnames)
    reply = client.complete_json([
        {"role": "system", "content": DESCRIBE_INSTRUCTIONS},
        {"role": "user", "content": f"Dataset: {dataset}\nCategories:\n{listing}"},
    ])
    descriptions = reply.get("descriptions") if isinstance(reply, dict) else None
    if not isinstance(descriptions, dict) or not all(isinstance(v, str) for v in descriptions.values()):
        raise MalformedResponseError('Description reply must be {"descriptions": {category: sentence}}')
    missing = [name for name in classnames if name not in descriptions]
    if missing:
        raise MalformedResponseError(f"Description reply lacks {len(missing)} categories, e.g. {missing[0]!r}")
    return {name: descriptions[name] for name in classnames}


def query_attribute_bases(client, descriptions, num_attributes):
    text = "\n".join(f"{name}: {sentence}" for name, sentence in descriptions.items())
    reply = client.complete_json([
        {"role": "system", "content": SUMMARISE_INSTRUCTIONS.format(k=num_attributes)},
        {"role": "user", "content": text},
    ])
    words = reply.get("COMMON_ATTRIBUTES") if isinstance(reply, dict) else None
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise MalformedResponseError('Attribute reply must be {"COMMON_ATTRIBUTES": [word, ...]}')
    words = [w.strip().lower() for w in words]
    if len(words) != num_attributes or any(not w or len(w.split()) != 1 for w in words):
        raise MalformedResponseError(f"Expected {num_attributes} single-word attributes, got {words}")
    return words


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", required=True, help="dataset name, e.g. OxfordPets")
    parser.add_argument("--classnames-file", required=True, help="text file, one class name per line")
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--num-attributes", type=int, default=5, help="number of attribute bases (paper: 5)")
    add_endpoint_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    classnames = read_classnames(args.classnames_file)
    try:
        client = ChatClient.from_args(args)
        descriptions = query_descriptions(client, args.dataset, classnames)
        attributes = query_attribute_bases(client, descriptions, args.num_attributes)
    except LLMError as error:
        print(f"query_attributes: {error}", file=sys.stderr)
        return 1
    result = {
        "dataset": args.dataset,
        "model": client.model,
        "classnames": classnames,
        "descriptions": descriptions,
        "attributes": attributes,
    }
    write_json(result, args.out)
    print(" ".join(attributes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
