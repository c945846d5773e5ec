"""One section of benchmarks/RESULTS.md rewritten from a partial run (`--only`), with its verdict lines."""

from __future__ import annotations

from pathlib import Path

MISSED = "- MISSED: "


def replace_section(out: Path, heading: str, section: list[str], misses: list[str], prefix: str) -> None:
    """Replace `## heading` in OUT (or add it before the verdict) and the verdict's misses that start
    with `prefix` by `misses`; every other section and miss stays as the last full run wrote it."""
    text = out.read_text() if out.is_file() else "# Benchmark results\n\n## Verdict\n"
    body, verdict = text.split("## Verdict\n", 1) if "## Verdict\n" in text else (text, "")
    kept = [line[len(MISSED):] for line in verdict.splitlines()
            if line.startswith(MISSED) and not line[len(MISSED):].startswith(prefix)]
    block = f"## {heading}\n\n" + "\n".join(section) + "\n\n"
    marker = f"## {heading}\n"
    if marker in body:
        head, rest = body.split(marker, 1)
        tail = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
        body = head + block + ("## " + tail if tail else "")
    else:
        body = body.rstrip("\n") + "\n\n" + block
    every = kept + misses
    out.write_text(body + "## Verdict\n\n" + ("All targets met." if not every else
                                             "\n".join(MISSED + m for m in every)) + "\n")
