"""Tiny COMET checkpoints built by the tests themselves (no hub): random weights, a tiny XLM-R, a counted tokenizer.

`build_comet(folder, kind)` writes an unbabel-comet checkpoint folder::

    folder/encoder/{config.json, tokenizer.json, tokenizer_config.json, special_tokens_map.json}
    folder/hparams.yaml            class_identifier regression_metric | unified_metric, pretrained_model: folder/encoder
    folder/checkpoints/model.ckpt  {"state_dict": ..., "pytorch-lightning_version": ...}

The tokenizer is a Unigram model counted from the repository's own text files (`_unigram_by_counts`: seed document,
test data: a few hundred zh/en lines). Weights are drawn from ``torch.manual_seed(seed)``; the layer weights
and gamma are drawn too, so the layer mix is not the uniform default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import ROOT, SHARED_DATA, read_lines

MAX_TOKENS = 62  # max_position_embeddings - 4 of the tiny encoder (as 510 of XLM-R's 514): longer is too_long
HIDDEN = 32
LAYERS = 2


def corpus_lines() -> list[str]:
    files = [*sorted((ROOT / "seeds").glob("*.txt")), *sorted((ROOT / "references").glob("*.txt")),
             *sorted((ROOT / "tests" / "data" / "compare").rglob("*.*")), *sorted((ROOT / "tests" / "data" / "flags").glob("*.txt")),
             *sorted((ROOT / "tests" / "data" / "io").glob("*.txt"))]  # fmt: skip
    lines = []
    for path in files:
        try:
            lines += [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        except UnicodeDecodeError:
            continue
    return lines


def _unigram_by_counts(lines: list[str], vocab_size: int, specials: list[str]) -> Any:
    """A Unigram `tokenizers.Tokenizer` (NFKC, Metaspace) for ``lines``, counted, the same on every run.

    Its pieces are every character of ``lines`` and then their most frequent words (with Metaspace's "▁"),
    each scored by the log of its share of the counts. `tokenizers`' UnigramTrainer is not used: it sums
    its scores in parallel and orders its tail of required characters by a hash, so from run to run the
    pieces' ids moved (359 of 600 between two runs here), each run built another random model, and a test
    could pass or fail by luck (test_neural_xcomet's two-reference check did, in CI)."""
    import math
    import unicodedata
    from collections import Counter

    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    text = [unicodedata.normalize("NFKC", line) for line in lines]
    chars = Counter(c for line in text for c in line.replace(" ", "\u2581"))
    chars["\u2581"] += len(text)  # Metaspace puts one before every line
    words = Counter("\u2581" + w for line in text for w in line.split() if 1 < len(w) <= 8)
    room = vocab_size - len(specials) - len(chars)
    assert room > 0, f"{len(chars)} characters need a vocabulary over {vocab_size}"
    counts = {**chars, **dict(sorted(words.items(), key=lambda x: (-x[1], x[0]))[:room])}
    total = sum(counts.values())
    pieces = sorted(((piece, round(math.log(n / total), 6)) for piece, n in counts.items()), key=lambda x: (-x[1], x[0]))
    vocab = [(piece, 0.0) for piece in specials] + pieces
    tok = Tokenizer(models.Unigram(vocab, unk_id=specials.index("<unk>"), byte_fallback=False))
    tok.add_special_tokens(specials)
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    return tok


def build_tokenizer(folder: Path) -> None:
    from tokenizers import processors
    from transformers import XLMRobertaTokenizerFast

    tok = _unigram_by_counts(corpus_lines(), 600, ["<s>", "<pad>", "</s>", "<unk>"])
    tok.add_special_tokens(["<mask>"])
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    assert (bos, tok.token_to_id("<pad>"), eos, tok.token_to_id("<unk>")) == (0, 1, 2, 3)  # XLM-R's special ids
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)])
    fast = XLMRobertaTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                   cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>")  # fmt: skip
    fast.model_max_length = MAX_TOKENS + 2  # what the encoder reads, with its two position offsets
    fast.save_pretrained(str(folder))


def _random_estimator(folder: Path, config_cls: Any, model_cls: Any, seed: int, max_tokens: int, ff_in: int,
                      **config: Any) -> tuple[Path, Any, dict[str, Any]]:  # fmt: skip
    """The parts every tiny unbabel-comet checkpoint shares: ``folder/encoder`` (tokenizer and config of a
    random ``model_cls`` encoder, ``HIDDEN`` wide, ``LAYERS`` deep, ``max_tokens`` + 4 positions), then, from
    ``seed``, the encoder's weights, the layer mix and the feed-forward estimator (``ff_in`` -> 48 -> 16 -> 1)
    as state-dict entries. Returns (encoder folder, encoder, state)."""
    import torch

    encoder_dir = folder / "encoder"
    encoder_dir.mkdir(parents=True, exist_ok=True)
    build_tokenizer(encoder_dir)
    vocab = json.loads((encoder_dir / "tokenizer.json").read_text(encoding="utf-8"))
    n_vocab = len(vocab["model"]["vocab"]) + len(vocab.get("added_tokens", []))
    settings = config_cls(vocab_size=n_vocab, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=2,
                          intermediate_size=64, max_position_embeddings=max_tokens + 4, type_vocab_size=1,
                          pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5, **config)  # fmt: skip
    settings.save_pretrained(str(encoder_dir))
    torch.manual_seed(seed)
    encoder = model_cls(settings, add_pooling_layer=False)
    state = {f"encoder.model.{k}": v for k, v in encoder.state_dict().items()}
    for k in range(LAYERS + 1):
        state[f"layerwise_attention.scalar_parameters.{k}"] = torch.randn(1)
    state["layerwise_attention.gamma"] = 1.0 + 0.1 * torch.randn(1)
    sizes = [ff_in, 48, 16, 1]
    for pos, (fan_in, fan_out) in zip((0, 3, 6), zip(sizes, sizes[1:])):
        linear = torch.nn.Linear(fan_in, fan_out)
        state[f"estimator.ff.{pos}.weight"], state[f"estimator.ff.{pos}.bias"] = linear.weight.data, linear.bias.data
    return encoder_dir, encoder, state


def _write_checkpoint(folder: Path, state: dict[str, Any], hparams: dict[str, Any]) -> Path:
    """``folder/hparams.yaml`` and ``folder/checkpoints/model.ckpt`` as unbabel-comet writes them; returns ``folder``."""
    import torch
    import yaml

    (folder / "hparams.yaml").write_text(yaml.safe_dump(hparams), encoding="utf-8")
    (folder / "checkpoints").mkdir(exist_ok=True)
    torch.save({"state_dict": state, "hyper_parameters": hparams, "pytorch-lightning_version": "2.2.0", "epoch": 0,
                "global_step": 0},
               folder / "checkpoints" / "model.ckpt")  # fmt: skip
    return folder


def build_comet(folder: Path, kind: str = "regression_metric", seed: int = 7) -> Path:
    """Write a tiny unbabel-comet checkpoint of ``kind`` under ``folder``; returns ``folder``."""
    from transformers import XLMRobertaConfig, XLMRobertaModel

    encoder_dir, _, state = _random_estimator(folder, XLMRobertaConfig, XLMRobertaModel, seed, MAX_TOKENS,
                                              HIDDEN * 6 if kind == "regression_metric" else HIDDEN)  # fmt: skip
    hparams = {
        "activations": "Tanh", "batch_size": 4, "class_identifier": kind, "dropout": 0.1, "encoder_learning_rate": 1e-6,
        "encoder_model": "XLM-RoBERTa", "final_activation": None, "hidden_sizes": [48, 16], "keep_embeddings_frozen": True,
        "layer": "mix", "layer_norm": False, "layer_transformation": "sparsemax", "layerwise_decay": 0.95,
        "learning_rate": 1.5e-5, "load_pretrained_weights": False, "loss": "mse", "nr_frozen_epochs": 0.3,
        "optimizer": "AdamW", "pool": "avg", "pretrained_model": str(encoder_dir), "train_data": [],
        "validation_data": [],
    }  # fmt: skip
    if kind == "unified_metric":
        hparams.update({"input_segments": ["mt", "src"], "word_level_training": False, "word_layer": 24,
                        "sent_layer": "mix", "loss_lambda": 0.65, "error_labels": ["minor", "major"], "cross_entropy_weights": None})  # fmt: skip
    return _write_checkpoint(folder, state, hparams)


# MetricX (tests/test_neural_metricx.py): a tiny mT5 written as google-research/metricx publishes its checkpoints


def metricx_lines(n: int = 200) -> list[str]:
    """Text for the tiny mT5 tokenizer: the first ``n`` WMT22 zh-en sources and ``n`` reference-A lines
    (../shared/data) when present, else the repository's own text (`corpus_lines`)."""
    wmt22 = SHARED_DATA / "wmt22-general-zh-en"
    files = [wmt22 / "sources" / "generaltest2022.zh-en.src.zh", wmt22 / "references" / "generaltest2022.zh-en.ref.A.en"]
    if all(f.is_file() for f in files):
        return [line for f in files for line in read_lines(f, n) if line.strip()]
    return corpus_lines()


def _metricx_tokenizer(folder: Path, lines: list[str], spiece: bool) -> None:
    """A Unigram tokenizer in mT5's layout (``<pad>`` 0, ``</s>`` 1, ``<unk>`` 2, then the pieces, then the 100
    sentinels with ``<extra_id_0>`` the very last id): a tokenizer.json trained with `tokenizers`, or (``spiece``)
    a sentencepiece model with T5Tokenizer's tokenizer_config.json only, as google/mt5-* publish theirs."""
    folder.mkdir(parents=True, exist_ok=True)
    if spiece:
        import sentencepiece as spm

        spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=str(folder / "spiece"), vocab_size=2000,
                                       model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1, character_coverage=1.0,
                                       hard_vocab_limit=False, minloglevel=2)  # fmt: skip
        (folder / "spiece.vocab").unlink()
        config = {"tokenizer_class": "T5Tokenizer", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "extra_ids": 100}
        (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
        return
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    # 2000 pieces: the 400 WMT22 lines hold about 1,200 distinct characters, and a Unigram vocabulary holds them all
    tok = _unigram_by_counts(lines, 2000, ["<pad>", "</s>", "<unk>"])
    tok.add_special_tokens([f"<extra_id_{i}>" for i in range(99, -1, -1)])
    eos = tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", eos)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    fast.save_pretrained(str(folder))


def build_metricx(folder: Path, seed: int = 11, tied: bool = False, spiece: bool = False) -> Path:
    """Write a tiny random MetricX checkpoint under ``folder`` (returned): config.json (mT5, 2+2 layers, d_model 32)
    and model.safetensors, untied like MetricX's checkpoints (an lm_head of its own, ``tie_word_embeddings:
    false``) or ``tied`` (no lm_head: the shared embeddings). Its tokenizer (`_metricx_tokenizer`) is in the
    folder itself, or with ``spiece`` in ``folder/mt5-tokenizer`` only, as MetricX's checkpoints carry none.

    Random weights would put most scores at MetricX's clip (0): the score's row of the output matrix (row
    ``<extra_id_10>``) is set so that 24 calibration inputs score about 12 +- 3, i.e. inside [0, 25]."""
    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, MT5Config, MT5ForConditionalGeneration

    lines = metricx_lines()
    tok_dir = folder / "mt5-tokenizer" if spiece else folder
    _metricx_tokenizer(tok_dir, lines, spiece)
    tokenizer = AutoTokenizer.from_pretrained(str(tok_dir))
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)  # mT5's special ids
    index = tokenizer.convert_tokens_to_ids("<extra_id_10>")
    assert index == len(tokenizer) - 11  # as 250089 of mT5's 250,100
    # vocabulary rows: the tokenizer's and 12 unused, as mT5's 250,112 rows hold its 250,100 pieces
    config = MT5Config(vocab_size=len(tokenizer) + 12, d_model=HIDDEN, d_kv=8, d_ff=64, num_layers=LAYERS,
                       num_decoder_layers=LAYERS, num_heads=4, relative_attention_num_buckets=8, relative_attention_max_distance=32,
                       dropout_rate=0.0, feed_forward_proj="gated-gelu", tie_word_embeddings=tied, pad_token_id=0, eos_token_id=1,
                       decoder_start_token_id=0)  # fmt: skip
    torch.manual_seed(seed)
    model = MT5ForConditionalGeneration(config).eval()
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if not k.endswith("embed_tokens.weight")}
    ids = [tokenizer(f"source: {s} candidate: {s}")["input_ids"][:-1] for s in lines[:24]]
    with torch.no_grad():
        decoded = torch.cat([model.decoder(input_ids=torch.zeros((1, 1), dtype=torch.long),
                                           encoder_hidden_states=model.encoder(input_ids=torch.tensor([x])).last_hidden_state
                                           ).last_hidden_state[:, 0] for x in ids])  # fmt: skip
    mean = decoded.mean(0)
    direction = torch.linalg.svd(decoded - mean, full_matrices=False).Vh[0]
    k = 3.0 / float((decoded @ direction).std())
    row = k * direction + (12.0 - k * float((decoded @ direction).mean())) * mean / float(mean @ mean)
    if tied:
        state.pop("lm_head.weight")
        state["shared.weight"][index] = row / HIDDEN**-0.5  # MetricX scales a tied model's decoder output by d_model ** -0.5
    else:
        state["lm_head.weight"] = torch.randn(config.vocab_size, HIDDEN)
        state["lm_head.weight"][index] = row
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    raw = config.to_dict()
    raw.update({"architectures": ["MT5ForRegression"], "tie_word_embeddings": tied})  # transformers 5 writes True for every mT5
    (folder / "config.json").write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return folder


XCOMET_MAX_TOKENS = 126  # of each segment; the joined [mt:src:ref] input may have 128 (XCOMET-XL: 510 and 512)


def build_xcomet(folder: Path, seed: int = 11, ok_bias: float = 1.0) -> Path:
    """Write a tiny unbabel-comet ``xcomet_metric`` checkpoint under ``folder`` (as Unbabel/XCOMET-XL: an
    XLM-R XL encoder, a sparsemax layer mix, a feed-forward on the first token, ``hidden2tag`` over O, minor,
    major, critical on the last hidden state); returns ``folder``. ``ok_bias`` is added to the O tag's bias so
    that the random tagger tags many tokens O and some not."""
    import torch
    from transformers import XLMRobertaXLConfig, XLMRobertaXLModel

    # initializer_range 10x the default: the first token's state depends on the text
    encoder_dir, encoder, state = _random_estimator(folder, XLMRobertaXLConfig, XLMRobertaXLModel, seed, XCOMET_MAX_TOKENS,
                                                    HIDDEN, initializer_range=0.2)  # fmt: skip
    state["estimator.ff.6.bias"] = state["estimator.ff.6.bias"] + 0.6  # scores around 0.6, some above 1 (capped)
    # The tagger is centred on the mean last hidden state over corpus lines (random encoders give every token
    # nearly one state, so a random tagger would tag all alike), then O is favoured by ok_bias.
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    with torch.no_grad():
        states = [encoder(input_ids=torch.tensor([e.ids[:XCOMET_MAX_TOKENS]]), output_hidden_states=True).hidden_states[LAYERS][0]
                  for e in tok.encode_batch(corpus_lines()[:64])]  # fmt: skip
    mean = torch.cat(states).mean(0)
    weight = 3.0 * torch.nn.Linear(HIDDEN, 4).weight.data
    state["hidden2tag.weight"] = weight
    state["hidden2tag.bias"] = -(weight @ mean) + torch.tensor([ok_bias, 0.0, 0.0, 0.0])
    hparams = {
        "activations": "Tanh", "batch_size": 4, "class_identifier": "xcomet_metric",
        "cross_entropy_weights": [0.08, 0.486, 0.505, 0.533], "dropout": 0.1, "encoder_learning_rate": 1e-6,
        "encoder_model": "XLM-RoBERTa-XL", "error_labels": ["minor", "major", "critical"], "final_activation": None,
        "hidden_sizes": [48, 16], "keep_embeddings_frozen": True, "layer_norm": False, "layer_transformation": "sparsemax",
        "layerwise_decay": 0.983, "learning_rate": 3.66e-6, "load_pretrained_weights": False, "loss": "mse",
        "loss_lambda": 0.055, "nr_frozen_epochs": 0.3, "optimizer": "AdamW", "pretrained_model": str(encoder_dir),
        "sent_layer": "mix", "train_data": [], "validation_data": [], "warmup_steps": 0, "word_layer": LAYERS,
        "word_level_training": True,
    }  # fmt: skip
    return _write_checkpoint(folder, state, hparams)
