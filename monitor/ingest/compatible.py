"""Whether a fallback provider's closes fit the stored series, up to one constant factor.

Two providers of one instrument may differ by a constant scale (an adjusted close against an
unadjusted one, an index against a fund tracking it), never by a shape. The factor is fitted as
the median ratio of the stored closes to the fallback's over their shared dates, then every
shared date must agree within the tolerance after scaling. Too few shared dates to judge refuse
the fallback, unless nothing is stored at all (the fallback then starts the series).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

OVERLAP = 60  # the newest stored dates compared
MIN_SHARED = 5  # fewer shared dates than this cannot tell a shape from noise


@dataclass(frozen=True)
class Verdict:
    """Whether the fallback may fill, the factor its values are scaled by, and why not."""

    accepted: bool
    scale: float = 1.0
    reason: str | None = None


def judge(stored: Mapping[date, float], offered: Mapping[date, float], tolerance: float) -> Verdict:
    """The verdict on ``offered`` closes against the ``stored`` ones (the newest few)."""
    if not stored:
        return Verdict(True)
    shared = sorted(set(stored) & set(offered))
    if len(shared) < MIN_SHARED:
        return Verdict(
            False,
            reason=f"only {len(shared)} of the last {len(stored)} stored dates to compare "
            f"(needs {MIN_SHARED})",
        )
    mine = np.array([stored[d] for d in shared])
    theirs = np.array([offered[d] for d in shared])
    scale = float(np.median(mine / theirs))
    gaps = np.abs(theirs * scale / mine - 1)
    worst = int(np.argmax(gaps))
    if gaps[worst] > tolerance:
        return Verdict(
            False,
            scale,
            f"closes differ by {gaps[worst]:.2%} on {shared[worst]} after scaling by "
            f"{scale:.6g} (tolerance {tolerance:.2%}, {len(shared)} dates compared)",
        )
    return Verdict(True, scale)
