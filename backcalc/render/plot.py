"""The loss curve as an image (matplotlib, an optional extra: `pip install 'backcalc[plot]'`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from ..history import LossHistory, wants_log_scale

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


def loss_plot_image(path: str, history: LossHistory, title: str | None = None, batches_per_epoch: int = 1) -> bytes:
    """The loss curve as the bytes of an image in the format `path`'s suffix names (rendered whole,
    so never half an image): the mean loss of each epoch (or epoch bucket), with a shaded band from
    the smallest to the largest batch loss when there are several batches per epoch; a log axis
    when the curve spans two decades or more."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    buckets = history.buckets
    x = [(b.first + b.last) / 2 for b in buckets]
    low, mean, high = [b.low for b in buckets], [b.mean for b in buckets], [b.high for b in buckets]
    fig = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    band = batches_per_epoch > 1  # one batch an epoch: its loss is the epoch's, one line
    if band:
        ax.fill_between(x, low, high, alpha=0.25, linewidth=0, label="min–max batch loss")
    ax.plot(x, mean, label="mean loss" if band else "loss", linewidth=1.5)
    if wants_log_scale(mean):
        ax.set_yscale("log")
    ax.set_xlabel("epoch" if history.width == 1 else f"epoch (each point: {history.width} epochs)")
    ax.set_ylabel("loss (log scale)" if ax.get_yscale() == "log" else "loss")
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(True, alpha=0.3)
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lower().lstrip("."))
    return buffer.getvalue()


def mistake_plot_image(path: str, rows: list[tuple[str, int]], graded: int, title: str | None = None,
                       muted: frozenset = frozenset()) -> bytes:
    """How many students made each mistake, as horizontal bars (most first, at the top), as the
    bytes of an image in the format `path`'s suffix names; rows at the `muted` indices (another
    convention, not a mistake) in grey."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = rows or [("no mistakes", 0)]
    fig = Figure(figsize=(8, 1.2 + 0.4 * len(rows)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    labels = [label if len(label) <= 60 else label[:59] + "…" for label, _ in rows]
    counts = [n for _, n in rows]
    colours = ["#9e9e9e" if i in muted else "#c0504d" for i in range(len(rows))]
    bars = ax.barh(range(len(rows)), counts, color=colours)
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    for bar, n in zip(bars, counts):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {n}", va="center")
    ax.set_xlim(0, max(graded, max(counts), 1) * 1.08)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
    ax.set_xlabel(f"students (of {graded} graded)")
    if title:
        ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lower().lstrip("."))
    return buffer.getvalue()
