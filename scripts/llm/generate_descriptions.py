"""Generate CuPL-style class descriptions for AnchorOPT stage I (spec §2.2).

Writes ``{classname: [sentence, ...]}`` atomically, the format of CuPL's released JSONs that stage I
reads through TRAINER.ANCHOROPT.DESCRIPTIONS_FILE. One request per class asks for
``--per-class`` short visual descriptions; every sentence must fit CLIP's 77-token context.

    python -m scripts.llm.generate_descriptions --dataset DescribableTextures \
        --classnames banded blotchy --out templates/texture_prompts_full.json
    python -m scripts.llm.generate_descriptions --classnames-file dtd.txt --out dtd.json

Endpoint, model and key: as ``scripts.llm.query_attributes`` (``OPENAI_BASE_URL``, ``OPENAI_MODEL``,
the variable named by ``--api-key-env``).
"""
import argparse
import sys

from tqdm import tqdm

import clip
from dassl.utils import write_json
from scripts.llm.client import ChatClient, LLMError, MalformedResponseError, add_endpoint_arguments
from scripts.llm.query_attributes import read_classnames

INSTRUCTIONS = (
    "You write short visual descriptions of image categories, as in CuPL (customized prompts via language "
    "models). Write exactly {n} different English sentences describing what a photo of the given category "
    "looks like: its shape, colour, texture, parts and typical surroundings. Each sentence must mention "
    'the category name and be under 40 words. Answer with a JSON object only: {{"descriptions": [...]}}.'
)


def fits_clip_context(sentence):
    try:
        clip.tokenize(sentence)
    except RuntimeError:
        return False
    return True


def describe_class(client, dataset, classname, per_class):
    context = f" from the dataset {dataset}" if dataset else ""
    reply = client.complete_json([
        {"role": "system", "content": INSTRUCTIONS.format(n=per_class)},
        {"role": "user", "content": f"Category{context}: {classname}"},
    ])
    sentences = reply.get("descriptions") if isinstance(reply, dict) else None
    if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
        raise MalformedResponseError(f'Reply for {classname!r} must be {{"descriptions": [sentence, ...]}}')
    usable = [s.strip() for s in sentences if s.strip() and fits_clip_context(s.strip())]
    if len(usable) < per_class:
        raise MalformedResponseError(
            f"Reply for {classname!r} has {len(usable)} usable sentences (non-empty, within 77 CLIP tokens), "
            f"need {per_class}"
        )
    return usable[:per_class]


def generate_descriptions(client, classnames, per_class, dataset=""):
    return {name: describe_class(client, dataset, name, per_class) for name in tqdm(classnames, desc="classes")}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    names = parser.add_mutually_exclusive_group(required=True)
    names.add_argument("--classnames", nargs="+", help="class names (quote names with spaces)")
    names.add_argument("--classnames-file", help="text file, one class name per line")
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--dataset", default="", help="dataset name given to the model as context")
    parser.add_argument("--per-class", type=int, default=10, help="sentences per class (stage I uses the first 10)")
    add_endpoint_arguments(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.classnames_file:
        classnames = read_classnames(args.classnames_file)
    else:
        classnames = [name.replace("_", " ") for name in args.classnames]
    try:
        client = ChatClient.from_args(args)
        descriptions = generate_descriptions(client, classnames, args.per_class, args.dataset)
    except LLMError as error:
        print(f"generate_descriptions: {error}", file=sys.stderr)
        return 1
    write_json(descriptions, args.out)
    print(f"Wrote {args.per_class} descriptions for {len(classnames)} classes to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
