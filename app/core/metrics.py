"""Prometheus metrics of one app: request counts, latency per endpoint, errors by code, the
served bundle. Each app has its own registry (tests build several apps in one process); with
several worker processes, PROMETHEUS_MULTIPROC_DIR (set by `lookbook serve`) aggregates them."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

# Latency buckets around the service's targets (p99 25-30 ms for catalog queries, ~50 ms
# for an uploaded image through the CNN)
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("lookbook_requests", "HTTP requests answered",
                                ["endpoint", "method", "status"], registry=r)
        self.latency = Histogram("lookbook_request_duration_seconds",
                                 "time from request to the end of the response",
                                 ["endpoint"], buckets=BUCKETS, registry=r)
        self.errors = Counter("lookbook_errors", "requests answered with an error body",
                              ["endpoint", "code"], registry=r)
        self.uploads = Counter("lookbook_uploaded_images", "uploaded images embedded",
                               registry=r)
        self.reloads = Counter("lookbook_reloads", "admin reloads", ["outcome"], registry=r)
        self.bundle = Gauge("lookbook_bundle_info", "1 for the served bundle's model hash and "
                            "generation", ["model_hash", "generation"], registry=r,
                            multiprocess_mode="liveall")
        self._bundle_labels: tuple[str, str] | None = None

    def set_bundle(self, model_hash: str, generation: int) -> None:
        if self._bundle_labels is not None:
            self.bundle.remove(*self._bundle_labels)
        self._bundle_labels = (model_hash, str(generation))
        self.bundle.labels(*self._bundle_labels).set(1)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
