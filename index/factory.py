"""FAISS indices from an IndexConfig: creation, training, search parameters, removal.

Every index is inner product over the stored vectors, with int64 ids = catalog rows. IVF
indices keep ids in their inverted lists; every other structure is wrapped in IDMap2, which
also lets Flat remove ids in place. HNSW cannot remove (its graph would lose links), so a
removed item stays in the graph as a tombstone that the search filters out by id selector.
"""

from __future__ import annotations

import faiss
import numpy as np

from index.config import IndexConfig

METRIC = faiss.METRIC_INNER_PRODUCT
METRIC_NAME = "inner_product"


def full_factory(factory: str) -> str:
    """The string handed to faiss, as recorded in the manifest."""
    has_ivf = any(part.startswith("IVF") for part in factory.split(","))
    return factory if has_ivf else f"IDMap2,{factory}"


def core_index(index: faiss.Index) -> faiss.Index:
    """The structure under the IDMap and pre-transform wrappers: it decides the parameters."""
    index = faiss.downcast_index(index)
    while isinstance(index, faiss.IndexIDMap2 | faiss.IndexIDMap | faiss.IndexPreTransform):
        index = faiss.downcast_index(index.index)
    return index


def new_index(dim: int, config: IndexConfig) -> faiss.Index:
    index = faiss.index_factory(dim, full_factory(config.factory), METRIC)
    set_search_defaults(index, config.nprobe, config.ef_search)
    core = core_index(index)
    if isinstance(core, faiss.IndexHNSW):
        core.hnsw.efConstruction = config.ef_construction
    if hasattr(core, "do_polysemous_training"):
        # the factory turns it on for PQ; it reorders codes for Hamming filtering, which
        # this search never uses, and multiplies the training time (~10x measured)
        core.do_polysemous_training = False
    return index


def set_search_defaults(index: faiss.Index, nprobe: int | None = None,
                        ef_search: int | None = None) -> None:
    """Stored in the index itself, where `search_parameters` reads them; None keeps the
    current value, and a parameter that does not apply to the index's kind is ignored."""
    core = core_index(index)
    if isinstance(core, faiss.IndexIVF) and nprobe is not None:
        core.nprobe = nprobe
    elif isinstance(core, faiss.IndexHNSW) and ef_search is not None:
        core.hnsw.efSearch = ef_search


def search_params_record(index: faiss.Index) -> dict[str, int]:
    """The search parameters that apply to this index, for the manifest."""
    core = core_index(index)
    if isinstance(core, faiss.IndexIVF):
        return {"nprobe": int(core.nprobe), "nlist": int(core.nlist)}
    if isinstance(core, faiss.IndexHNSW):
        return {"efSearch": int(core.hnsw.efSearch),
                "efConstruction": int(core.hnsw.efConstruction)}
    return {}


def train(index: faiss.Index, vectors: np.ndarray) -> None:
    """Train IVF centroids / PQ codebooks; refuses with a reason instead of faiss's abort."""
    if index.is_trained:
        return
    core = core_index(index)
    clusters = int(core.nlist) if isinstance(core, faiss.IndexIVF) else 1
    if len(vectors) < clusters:
        raise ValueError(f"{len(vectors)} vectors cannot train {clusters} IVF lists: use fewer "
                         "lists (IVF{n} with n well below the type's item count) or Flat")
    index.train(np.ascontiguousarray(vectors, dtype=np.float32))


def search_parameters(index: faiss.Index, selector: faiss.IDSelector | None = None
                      ) -> faiss.SearchParameters:
    """Per-query parameters of the index's own kind (faiss refuses a mismatched kind), with
    the index's current nprobe / efSearch and an optional id selector."""
    core = core_index(index)
    if isinstance(core, faiss.IndexIVF):
        params = faiss.SearchParametersIVF()
        params.nprobe = core.nprobe
    elif isinstance(core, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW()
        params.efSearch = core.hnsw.efSearch
    else:
        params = faiss.SearchParameters()
    if selector is not None:
        params.sel = selector
        params.referenced_objects = [selector]  # the C++ side holds a bare pointer
    return params


def remove_ids(index: faiss.Index, ids: np.ndarray) -> bool:
    """Remove in place; False when this kind of index cannot (HNSW) and nothing changed."""
    if len(ids) == 0:
        return True
    try:
        index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))
    except RuntimeError as exc:
        if "not implemented" in str(exc):
            return False
        raise
    return True


def batch_selector(ids: np.ndarray) -> faiss.IDSelector:
    return faiss.IDSelectorBatch(np.ascontiguousarray(ids, dtype=np.int64))


def not_selector(inner: faiss.IDSelector) -> faiss.IDSelector:
    sel = faiss.IDSelectorNot(inner)
    sel.referenced_objects = [inner]
    return sel


def and_selector(*parts: faiss.IDSelector | None) -> faiss.IDSelector | None:
    """Intersection of the given selectors; None (everything) when none is given."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    sel = present[0]
    for other in present[1:]:
        combined = faiss.IDSelectorAnd(sel, other)
        combined.referenced_objects = [sel, other]
        sel = combined
    return sel
