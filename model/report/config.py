"""What a report shows, as typed data: sizes of its sections and of its pictures."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReportConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # FITB questions in the general gallery: a fixed-seed sample, right and wrong alike.
    gallery_size: int = Field(12, ge=0, le=500)
    # Questions shown in each of "SAT right / ablation wrong" and "hard, still missed".
    section_size: int = Field(12, ge=0, le=500)
    # Real outfits of the subset the model scores least compatible.
    least_compatible: int = Field(8, ge=0, le=500)
    # Longest side of an item thumbnail in pixels: big enough to read a garment, small
    # enough that a few hundred of them keep the single HTML file at a few MB.
    thumbnail_px: int = Field(112, ge=16, le=512)
    jpeg_quality: int = Field(82, ge=30, le=95)
    seed: int = 0
