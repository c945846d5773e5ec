"""The loss curve as an image (matplotlib, an optional extra: `pip install 'backcalc[plot]'`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from ..history import LossHistory

INSTALL_HINT = "pip install 'backcalc[plot]'"


def check_plot_format(path: str) -> None:
    """Fail before training, not after it: matplotlib present, the image format known."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:
        raise UsageError(f"--plot needs matplotlib, which is not installed; install it with: "
                         f"{INSTALL_HINT}") from None
    p = Path(path)
    suffix = p.suffix.lower().lstrip(".")
    formats = FigureCanvasAgg.get_supported_filetypes()
    if suffix not in formats:
        raise UsageError(f"--plot {path}: unknown image format {suffix or '(no suffix)'!r}; "
                         f"use one of: {', '.join(sorted(formats))}")


def loss_plot_image(path: str, history: LossHistory, title: str | None = None) -> bytes:
    """Epoch against the mean, smallest and largest batch loss of each epoch (or epoch bucket), as the
    bytes of an image in the format `path`'s suffix names (rendered whole, so never half an image)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    buckets = history.buckets
    x = [(b.first + b.last) / 2 for b in buckets]
    fig = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(x, [b.low for b in buckets], label="min loss", linewidth=1)
    ax.plot(x, [b.mean for b in buckets], label="mean loss", linewidth=1.5)
    ax.plot(x, [b.high for b in buckets], label="max loss", linewidth=1)
    ax.set_xlabel("epoch" if history.width == 1 else f"epoch (each point: {history.width} epochs)")
    ax.set_ylabel("loss")
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(True, alpha=0.3)
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lower().lstrip("."))
    return buffer.getvalue()
