"""The served heap is frozen once loaded (app/core/heap.py), and a reload still frees the
cycles of the bundle it replaced."""

import gc
import weakref

from app.core import heap
from tests.app.conftest import make_client


class _Node:
    pass


def test_settle_freezes_and_a_later_settle_frees_what_was_dropped():
    try:
        node = _Node()
        node.me = node  # a cycle: only the collector frees it
        ref = weakref.ref(node)
        heap.settle()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert ref() is not None  # frozen: the collector does not look at it
        heap.settle()  # what a reload calls after the swap
        assert ref() is None
    finally:
        gc.unfreeze()


def test_the_app_freezes_its_heap_once_the_bundle_is_loaded(model_bundle):
    gc.unfreeze()
    try:
        with make_client(model_bundle) as client:
            assert client.get("/readyz").status_code == 200
            assert gc.get_freeze_count() > 10_000  # torch, FastAPI and the bundle
    finally:
        gc.unfreeze()
