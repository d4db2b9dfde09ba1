"""Train a byte-level BPE tokenizer on a corpus with the `tokenizers` library (GPT-2 / Llama-3 style: every byte
is in the base alphabet, so no text is ever unknown).

Special tokens: `<|endoftext|>` (ends every document; also BOS) and `<|pad|>`. Merges must be seen at least twice
(`min_frequency=2`); when the corpus runs out of such merges before `vocab_size` is reached, the vocabulary the
user asked for is larger than the corpus can support, and that is an error naming the size it can support.
"""

from __future__ import annotations

from pathlib import Path

from trainer.corpus import CorpusError, CorpusFile, iter_chunks

EOS = "<|endoftext|>"
PAD = "<|pad|>"
SAMPLE_CHARS = 200_000_000  # train the tokenizer on at most the first ~200 MB of text (BPE quality saturates)
MIN_VOCAB = 258  # 256 byte tokens + the 2 special tokens


def _sample(files: list[CorpusFile]):
    seen = 0
    for text, _ in iter_chunks(files):
        yield text
        seen += len(text)
        if seen >= SAMPLE_CHARS:
            return


def train_tokenizer(files: list[CorpusFile], vocab_size: int, out_dir: Path):
    """Train, save to `out_dir` (tokenizer.json + config, loadable with AutoTokenizer) and return the
    transformers tokenizer. Raises CorpusError when the corpus cannot fill `vocab_size`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=[EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_sample(files), trainer=trainer)
    got = tok.get_vocab_size()
    if got < vocab_size:
        raise CorpusError(
            f"the corpus supports a vocabulary of only {got:,} tokens (BPE ran out of pairs seen twice), fewer than "
            f"pretrain.vocab_size = {vocab_size:,}. Set pretrain.vocab_size to at most {got:,}, add more text, or use "
            "pretrain.tokenizer: reuse with an existing model's tokenizer.", "vocab_too_large", "pretrain.vocab_size")
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOS, eos_token=EOS, pad_token=PAD,
                                   unk_token=None, model_max_length=1_000_000)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(out_dir)
    return fast
