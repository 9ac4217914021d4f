"""How the per-type indices are built and searched: typed data, written into the manifest.

`factory` is a faiss `index_factory` string over the stored vectors; ids and the metric are
added by `index/factory.py` (always inner product: the FITB distance is a constant minus an
inner product, docs/index.md). Examples: "Flat" (exact, the default), "HNSW32",
"IVF1024,Flat", "IVF1024,PQ43" (compressed; PQ's m must divide the vector dim).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Layout = Literal["per_pair", "collapsed", "factored"]


class IndexConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    factory: str = "Flat"
    # IVF: inverted lists visited per query; faiss's own default (1) is rarely what one wants
    nprobe: int = Field(16, ge=1)
    # HNSW: size of the candidate list kept while searching / while linking at build time.
    # With faiss's 40 at build, recall@10 stayed well under 0.95 at efSearch 512 on 91k items
    # of a type, where 80 passed it (docs/benchmarks.md): outfit queries only fill the
    # blocks of the outfit's types, so they lie far from the vectors the graph links.
    ef_search: int = Field(512, ge=1)
    ef_construction: int = Field(80, ge=1)
    # Fetch this many hits from an approximate index and re-score them with the scorer before
    # keeping k: PQ's distances are approximate, the scorer's are not. 0 = off.
    refine: int = Field(0, ge=0)
    # IVF centroids and PQ codebooks are trained on at most this many vectors of the type
    train_size: int = Field(65_536, ge=1)
    # "auto": factored (D + T numbers per item, scanned exactly by index/scan.py) with Flat;
    # for ANN factories collapsed (2*D) when the spaces are not normalised, else per_pair
    # (T*D + T). index/vectors.py has the algebra of all three, docs/index.md the choice.
    layout: Literal["auto", "per_pair", "collapsed", "factored"] = "auto"
    seed: int = 0

    @field_validator("factory")
    @classmethod
    def _no_ids_or_metric(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("factory: give a faiss index_factory string such as 'Flat'")
        if "IDMap" in value:
            raise ValueError(f"factory {value!r}: leave out IDMap, the builder adds the ids")
        return value

    @property
    def is_flat(self) -> bool:
        return self.factory == "Flat"

    def resolve_layout(self, normalize_spaces: bool) -> Layout:
        if self.layout == "auto":
            if self.is_flat:
                return "factored"
            return "per_pair" if normalize_spaces else "collapsed"
        if self.layout == "factored" and normalize_spaces and not self.is_flat:
            raise ValueError(
                f"layout 'factored' with normalised type-pair spaces is searched by an exact "
                f"scan (index/scan.py), not by faiss: use factory 'Flat', or layout 'per_pair' "
                f"for {self.factory!r}"
            )
        if self.layout == "collapsed" and normalize_spaces:
            raise ValueError(
                "layout 'collapsed' needs unnormalised type-pair spaces (model.normalize_spaces"
                "=false): normalising each projection breaks the [f, f^2] factorisation"
            )
        return self.layout
