"""Words for an emotion's valence/arousal, shown under the user's bubble (pure: tested by tables)."""

from __future__ import annotations

#: |valence| or |arousal| below this reads as neither side
THRESHOLD = 0.25


def valence_word(valence: float) -> str:
    """'pleasant', 'unpleasant' or 'neutral'."""
    if valence >= THRESHOLD:
        return "pleasant"
    if valence <= -THRESHOLD:
        return "unpleasant"
    return "neutral"


def arousal_word(arousal: float) -> str:
    """'energetic', 'calm' or '' (in between)."""
    if arousal >= THRESHOLD:
        return "energetic"
    if arousal <= -THRESHOLD:
        return "calm"
    return ""
