"""The task files of one subset: fill-in-the-blank questions and compatibility outfits. Both
name items as `<set_id>_<index>` of outfits of the same subset, as the release does, so
every distractor is an item that appears in some other outfit of that subset."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from model.sample.catalog import SampleItem
from model.sample.outfits import SampleOutfit

N_ANSWERS = 4


class _Slots:
    """Where each item of a subset appears, by name, grouped by category and colour."""

    def __init__(self, outfits: list[SampleOutfit], items: dict[str, SampleItem]) -> None:
        self.names: dict[str, list[tuple[str, str]]] = defaultdict(list)  # item -> (set, name)
        self.by_category: dict[str, list[str]] = defaultdict(list)  # distinct items
        self.by_colour: dict[tuple[str, str], list[str]] = defaultdict(list)
        for outfit in outfits:
            for item_id, index in zip(outfit.item_ids, outfit.indices, strict=True):
                if item_id not in self.names:
                    item = items[item_id]
                    self.by_category[item.semantic].append(item_id)
                    self.by_colour[item.semantic, item.colour].append(item_id)
                self.names[item_id].append((outfit.set_id, f"{outfit.set_id}_{index}"))

    def name_elsewhere(self, item_id: str, set_id: str, rng: np.random.Generator) -> str:
        """A name of `item_id` in an outfit other than `set_id`."""
        names = [name for owner, name in self.names[item_id] if owner != set_id]
        return names[rng.integers(len(names))]


def _draw_distinct(candidates: list[str], k: int, exclude: set[str], rng) -> list[str]:
    allowed = [c for c in candidates if c not in exclude]
    if len(allowed) < k:
        return []
    return [allowed[i] for i in rng.choice(len(allowed), size=k, replace=False)]


def _mix_distance(a: dict[str, float], b: dict[str, float]) -> float:
    # Sorted, so that the float sum (and so the ranking of ties) is the same in every process.
    return sum(abs(a.get(c, 0.0) - b.get(c, 0.0)) for c in sorted(a.keys() | b.keys()))


def _nearest_in_colour(
    target: SampleItem, candidates: list[str], k: int, items: dict[str, SampleItem], rng
) -> list[str]:
    """The `k` candidates whose colour mix (main colour and pattern accents) is nearest the
    target's, ties broken at random: sharing the main colour alone still leaves the accents
    for a colour histogram to match on."""
    mix = target.colour_mix()
    shuffled = [candidates[i] for i in rng.permutation(len(candidates))]
    return sorted(shuffled, key=lambda c: _mix_distance(mix, items[c].colour_mix()))[:k]


def build_fitb(
    outfits: list[SampleOutfit],
    items: dict[str, SampleItem],
    n_lookalikes: int,
    rng: np.random.Generator,
) -> tuple[list[dict], int]:
    """One question per outfit, and how many wrong answers are colour look-alikes.

    Look-alikes share the right answer's category and main colour but have another style,
    so a colour match alone cannot tell them from the right answer."""
    slots = _Slots(outfits, items)
    questions: list[dict] = []
    n_lookalike_answers = 0
    for outfit in outfits:
        members = set(outfit.item_ids)

        def lookalikes(item_id: str, members=members) -> list[str]:
            item = items[item_id]
            return [
                c
                for c in slots.by_colour[item.semantic, item.colour]
                if items[c].style != item.style and c not in members
            ]

        def n_others(item_id: str, members=members) -> int:
            semantic = items[item_id].semantic
            return len(slots.by_category[semantic]) - sum(
                items[m].semantic == semantic for m in members
            )

        positions = [p for p, i in enumerate(outfit.item_ids) if n_others(i) >= N_ANSWERS - 1]
        if not positions:
            continue
        # Prefer a blank that can get its full share of look-alikes: those are the questions
        # the sample catalog exists for.
        preferred = [p for p in positions if len(lookalikes(outfit.item_ids[p])) >= n_lookalikes]
        choices = preferred or positions
        blank = choices[rng.integers(len(choices))]
        right = outfit.item_ids[blank]

        wrong = _nearest_in_colour(items[right], lookalikes(right), n_lookalikes, items, rng)
        n_lookalike_answers += len(wrong)
        category = slots.by_category[items[right].semantic]
        wrong += _draw_distinct(category, N_ANSWERS - 1 - len(wrong), members | set(wrong), rng)

        names = [f"{outfit.set_id}_{i}" for i in outfit.indices]
        answers = [names[blank]] + [slots.name_elsewhere(w, outfit.set_id, rng) for w in wrong]
        questions.append(
            {
                "question": names[:blank] + names[blank + 1 :],
                "answers": [answers[k] for k in rng.permutation(N_ANSWERS)],
                # The blank's own `index`, so that the right answer's name ends with it.
                "blank_position": outfit.indices[blank],
            }
        )
    return questions, n_lookalike_answers


def _random_stranger(
    candidates: list[str], set_id: str, exclude: set[str], slots: _Slots, rng
) -> str | None:
    """A random candidate that appears in an outfit other than `set_id`, if there is one."""

    def usable(c: str) -> bool:
        return c not in exclude and any(owner != set_id for owner, _ in slots.names[c])

    # Almost every draw succeeds; the full scan is for categories that few outfits hold.
    for _ in range(32):
        pick = candidates[rng.integers(len(candidates))]
        if usable(pick):
            return pick
    allowed = [c for c in candidates if usable(c)]
    return allowed[rng.integers(len(allowed))] if allowed else None


def build_compatibility(
    outfits: list[SampleOutfit], items: dict[str, SampleItem], rng: np.random.Generator
) -> list[str]:
    """Lines `1|0 name...`: every outfit as a positive, and once more as a negative whose
    items are all replaced by random items of the same category from other outfits."""
    slots = _Slots(outfits, items)
    lines = []
    for outfit in outfits:
        names = [f"{outfit.set_id}_{i}" for i in outfit.indices]
        lines.append("1 " + " ".join(names))
        replaced: list[str] = []
        for item_id in outfit.item_ids:
            category = slots.by_category[items[item_id].semantic]
            exclude = {item_id, *replaced}
            stranger = _random_stranger(category, outfit.set_id, exclude, slots, rng)
            # A category that only this outfit holds in the subset has nothing to swap in:
            # the negative goes without it (only small subsets get there).
            if stranger is not None:
                replaced.append(stranger)
        if len(replaced) < 2:
            raise ValueError(
                f"outfit {outfit.set_id}: too few other outfits to build its negative; "
                "raise n_outfits"
            )
        fake = [slots.name_elsewhere(i, outfit.set_id, rng) for i in replaced]
        lines.append("0 " + " ".join(fake))
    return [lines[k] for k in rng.permutation(len(lines))]
