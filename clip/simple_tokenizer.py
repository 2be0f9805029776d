"""CLIP's byte-level BPE tokenizer (same cleaning, pre-tokenisation and ids as OpenAI's) and `tokenize`.

The merge table is OpenAI's `bpe_simple_vocab_16e6.txt.gz`, read from the installed `openai-clip`
distribution's files (its code is never imported).
"""
import functools
import gzip
import html
import importlib.metadata
from typing import Dict, List, Optional, Sequence, Tuple, Union

import ftfy
import regex
import torch

VOCAB_FILENAME = "bpe_simple_vocab_16e6.txt.gz"
START_OF_TEXT = "<|startoftext|>"
END_OF_TEXT = "<|endoftext|>"
END_OF_WORD = "</w>"
# The merge file's header line is skipped; 49152 - 256 byte symbols - 2 specials merges are used.
NUM_MERGES = 49152 - 256 - 2

_PRE_TOKEN_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'(?:s|t|re|ve|m|ll|d)|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


def default_bpe_path() -> str:
    """Location of OpenAI's merge table inside the installed `openai-clip` distribution."""
    try:
        distribution = importlib.metadata.distribution("openai-clip")
    except importlib.metadata.PackageNotFoundError:
        raise RuntimeError(f"CLIP tokenizer needs {VOCAB_FILENAME} from the 'openai-clip' package, "
                           "which is not installed: run `pip install openai-clip`") from None
    for file in distribution.files or []:
        if file.name == VOCAB_FILENAME:
            return str(distribution.locate_file(file))
    raise RuntimeError(f"The installed 'openai-clip' package lacks {VOCAB_FILENAME}: "
                       "run `pip install --force-reinstall openai-clip`")


def byte_symbols() -> Dict[int, str]:
    """Byte -> printable unicode symbol: printable bytes keep their code point, the rest get 256, 257, ..."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    others = [byte for byte in range(256) if byte not in printable]
    mapping = {byte: chr(byte) for byte in printable}
    mapping.update({byte: chr(256 + offset) for offset, byte in enumerate(others)})
    return mapping


def clean_text(text: str) -> str:
    """Fix mojibake, unescape HTML (twice, as OpenAI), collapse whitespace, lower-case."""
    text = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
    return regex.sub(r"\s+", " ", text).strip().lower()


def merge_pairs(symbols: Tuple[str, ...], ranks: Dict[Tuple[str, str], int]) -> Tuple[str, ...]:
    """Greedy BPE: merge every occurrence of the best-ranked adjacent pair until none is known."""
    while len(symbols) > 1:
        pairs = set(zip(symbols, symbols[1:]))
        best = min(pairs, key=lambda pair: ranks.get(pair, float("inf")))
        if best not in ranks:
            break
        merged, index = [], 0
        while index < len(symbols):
            if index + 1 < len(symbols) and (symbols[index], symbols[index + 1]) == best:
                merged.append(symbols[index] + symbols[index + 1])
                index += 2
            else:
                merged.append(symbols[index])
                index += 1
        symbols = tuple(merged)
    return symbols


class SimpleTokenizer:
    """`encode(text) -> ids` without SOT/EOT, `decode(ids) -> text`; `.encoder` / `.decoder` map strings <-> ids."""

    def __init__(self, bpe_path: Optional[str] = None):
        with gzip.open(bpe_path or default_bpe_path(), "rt", encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        merges = [tuple(line.split()) for line in lines[1:NUM_MERGES + 1]]
        self.byte_encoder = byte_symbols()
        self.byte_decoder = {symbol: byte for byte, symbol in self.byte_encoder.items()}
        symbols = list(self.byte_encoder.values())
        vocab = symbols + [symbol + END_OF_WORD for symbol in symbols]
        vocab += ["".join(pair) for pair in merges] + [START_OF_TEXT, END_OF_TEXT]
        self.encoder = {token: index for index, token in enumerate(vocab)}
        self.decoder = {index: token for token, index in self.encoder.items()}
        self.bpe_ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.cache = {START_OF_TEXT: START_OF_TEXT, END_OF_TEXT: END_OF_TEXT}

    def bpe(self, pre_token: str) -> str:
        """Space-separated BPE symbols of one pre-token (bytes already mapped to symbols)."""
        if pre_token not in self.cache:
            symbols = tuple(pre_token[:-1]) + (pre_token[-1] + END_OF_WORD,)
            self.cache[pre_token] = " ".join(merge_pairs(symbols, self.bpe_ranks))
        return self.cache[pre_token]

    def encode(self, text: str) -> List[int]:
        ids = []
        for pre_token in _PRE_TOKEN_PATTERN.findall(clean_text(text)):
            mapped = "".join(self.byte_encoder[byte] for byte in pre_token.encode("utf-8"))
            ids.extend(self.encoder[symbol] for symbol in self.bpe(mapped).split(" "))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        text = "".join(self.decoder[int(index)] for index in ids)
        raw = bytearray(self.byte_decoder[symbol] for symbol in text)
        return raw.decode("utf-8", errors="replace").replace(END_OF_WORD, " ")


@functools.lru_cache(maxsize=None)
def shared_tokenizer() -> SimpleTokenizer:
    """One tokenizer per process: building the merge table takes a noticeable fraction of a second."""
    return SimpleTokenizer()


def tokenize(texts: Union[str, Sequence[str]], context_length: int = 77, truncate: bool = False) -> torch.Tensor:
    """Token ids [N, context_length] (int64): SOT + BPE ids + EOT, zero-padded."""
    if isinstance(texts, str):
        texts = [texts]
    tokenizer = shared_tokenizer()
    start, end = tokenizer.encoder[START_OF_TEXT], tokenizer.encoder[END_OF_TEXT]
    result = torch.zeros(len(texts), context_length, dtype=torch.long)
    for row, text in enumerate(texts):
        ids = [start] + tokenizer.encode(text) + [end]
        if len(ids) > context_length:
            if not truncate:
                raise RuntimeError(f"Input {text!r} is too long for context length {context_length} "
                                   f"({len(ids)} tokens); shorten it or pass truncate=True")
            ids = ids[:context_length - 1] + [end]
        result[row, :len(ids)] = torch.tensor(ids)
    return result
