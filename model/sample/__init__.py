"""The built-in sample catalog: a synthetic Polyvore Outfits folder with hidden style rules
(docs/sample-catalog.md)."""

from model.sample.config import SampleConfig, SampleSummary
from model.sample.generate import Sample, build_sample, write_sample

__all__ = ["Sample", "SampleConfig", "SampleSummary", "build_sample", "write_sample"]
