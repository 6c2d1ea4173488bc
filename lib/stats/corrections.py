"""Multiple-comparison adjustments of p-values: Holm (FWER) and Benjamini–Hochberg (FDR).

NaN p-values (inconclusive comparisons) stay NaN and are left out of the family: they are not tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def _finite(p_values: Sequence[float]) -> list[tuple[int, float]]:
    return [(i, float(p)) for i, p in enumerate(p_values) if not math.isnan(p)]


def holm(p_values: Sequence[float]) -> tuple[float, ...]:
    """Holm's step-down adjusted p-values (Holm 1979), in the input order.

    Sorted ascending, p_(i) is multiplied by m − i + 1 (i from 1), made non-decreasing by a running
    maximum and capped at 1. Rejecting where the adjusted value is below alpha controls the FWER.

    Parameters
    ----------
    p_values
        Raw p-values; NaN entries are kept as NaN and not counted in m.
    """
    items = sorted(_finite(p_values), key=lambda x: x[1])
    m = len(items)
    out = [math.nan] * len(p_values)
    running = 0.0
    for rank, (i, p) in enumerate(items):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return tuple(out)


def benjamini_hochberg(p_values: Sequence[float]) -> tuple[float, ...]:
    """Benjamini–Hochberg step-up adjusted p-values (Benjamini & Hochberg 1995), in the input order.

    Sorted ascending, p_(i) is multiplied by m / i, made non-increasing from the top by a running
    minimum and capped at 1. Rejecting where the adjusted value is below q controls the FDR at q.

    Parameters
    ----------
    p_values
        Raw p-values; NaN entries are kept as NaN and not counted in m.
    """
    items = sorted(_finite(p_values), key=lambda x: x[1])
    m = len(items)
    out = [math.nan] * len(p_values)
    running = 1.0
    for rank in range(m - 1, -1, -1):
        i, p = items[rank]
        running = min(running, m * p / (rank + 1))
        out[i] = running
    return tuple(out)
