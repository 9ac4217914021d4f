"""Settings and result counts of the sample catalog generator."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SampleConfig:
    n_items: int = 2400
    n_outfits: int = 1600  # per split (nondisjoint, disjoint), before the train/valid/test cut
    image_size: int = 128
    subset_fractions: tuple[float, float, float] = (0.7, 0.1, 0.2)  # train, valid, test
    # FITB wrong answers that copy the right answer's main colour but come from another
    # style; the rest are random items of the category.
    n_lookalikes: int = 2
    empty_text_rate: float = 0.03  # share of items with an empty title (and, apart, description)
    index_gap_rate: float = 0.15  # share of outfits whose item indices skip a number
    jpeg_quality: int = 90

    def __post_init__(self) -> None:
        if abs(sum(self.subset_fractions) - 1) > 1e-6 or min(self.subset_fractions) <= 0:
            raise ValueError(
                f"subset_fractions must be three positive shares summing to 1, "
                f"got {self.subset_fractions}"
            )
        if not 0 <= self.n_lookalikes <= 3:
            raise ValueError(
                f"n_lookalikes must be 0..3 (3 wrong answers), got {self.n_lookalikes}"
            )
        if self.n_items < 200 or self.n_outfits < 100:
            raise ValueError(
                "a sample catalog needs at least 200 items and 100 outfits per split so that "
                f"every subset can draw FITB distractors; got {self.n_items} and {self.n_outfits}"
            )


@dataclass
class SampleSummary:
    n_items: int
    n_images: int
    # split -> subset -> count
    n_outfits: dict[str, dict[str, int]] = field(default_factory=dict)
    n_fitb: dict[str, dict[str, int]] = field(default_factory=dict)
    n_compatibility: dict[str, dict[str, int]] = field(default_factory=dict)
    # Share of FITB wrong answers that are colour look-alikes of the right answer.
    lookalike_share: dict[str, float] = field(default_factory=dict)
