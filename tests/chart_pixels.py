"""Reading a chart PNG's pixels: where the notified date's vertical line is drawn."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from monitor.charts.render import MARK_COLOUR


def mark_columns(png: bytes, *, min_rows: int = 100) -> list[int]:
    """Pixel columns holding a vertical run of the mark colour at least ``min_rows`` tall."""
    image = imread(io.BytesIO(png), format="png")[:, :, :3]
    close = np.abs(image - np.array(to_rgb(MARK_COLOUR))).max(axis=2) < 0.08
    return [int(x) for x in np.flatnonzero(close.sum(axis=0) >= min_rows)]


def width(png: bytes) -> int:
    return imread(io.BytesIO(png), format="png").shape[1]
