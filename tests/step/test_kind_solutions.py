"""The worked solutions of conv, pool and batchnorm networks are as full as their tables: where each
∂ℓ/∂a and each input's ∂ℓ/∂x comes from, with the numbers (a convolution's Σ δ·w over the windows
that read it, a max pool's winner, batch norm's three terms), batch norm's μ, σ², x̂, and every
gradient as its products δ · ∂z/∂p; every number is the JSON's (read from --json)."""

from __future__ import annotations

import re

from conftest import cli, cli_json
from test_solutions import f5, num


def markdown(spec: str) -> str:
    result = cli("step", spec, "--format", "markdown", "--quiet")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def line_of(md: str, lhs: str) -> str:
    """The equation of `lhs` (its continuation lines joined), up to the end of its value."""
    start = md.index(lhs + " &= ")
    end = md.find(" \\\\\n\\", start)
    block_end = md.find("\n\\end{aligned}", start)
    return md[start:min(e for e in (end, block_end) if e > 0)]


def test_conv_and_max_pool_solution_sends_back_with_the_json_numbers(config):
    spec = config("conv_image")
    data, md = cli_json("step", spec), markdown(spec)
    conv = data["layers"][0]
    for i, unit in enumerate(conv["neurons"]):  # what the max pool sends back: a winner's δ, or 0
        line = line_of(md, rf"\frac{{\partial L}}{{\partial {_tex(unit)}}}")
        value = conv["dL_da"][0][i]
        assert line.endswith(rf"(\mathrm{{won}}) = {f5(value)}") if value else line.endswith(
            r"&= 0 \quad (\mathrm{won\ no\ window})"), line
    kernel = {num(float(v)) for v in re.findall(r"-?\d+\.?\d*", str(conv["weights"]))}
    for j, value in enumerate(data["input_gradients"][0]):  # Σ δ·K over the positions whose window reads x_j
        line = line_of(md, rf"\frac{{\partial L}}{{\partial x_{{{j + 1}}}}}")
        assert line.endswith(f"= {f5(value)}"), line
        assert set(re.findall(r"\\cdot (\(?-?[\d.]+\)?)", line)) <= kernel, line  # δ · a kernel entry
    for p in data["parameters"]:  # each gradient: its products, then its value
        line = line_of(md, rf"\frac{{\partial L}}{{\partial {_tex(p['name'])}}}")
        assert line.endswith(f"= {f5(p['grad'])}") and (p["name"][0] == "b" or r"\cdot" in line), line


def _tex(name: str) -> str:
    letter, layer, index = re.fullmatch(r"([A-Za-z])(\d+)\[([\d,]+)\]", name).groups()
    return f"{letter}^{{({layer})}}_{{{index}}}"


def test_batchnorm_solution_writes_statistics_and_the_three_term_backward(config):
    spec = config("batchnorm_batch")
    data, md = cli_json("step", spec), markdown(spec)
    below, bn = data["layers"][0], data["layers"][1]
    n = len(data["batch"])
    for k, feature in enumerate(below["neurons"]):
        f = _sub(feature)
        assert line_of(md, rf"\mu_{{{f}}}").endswith(f"= {f5(bn['mean'][k])}")
        assert line_of(md, rf"\sigma^2_{{{f}}}").endswith(f"= {f5(bn['variance'][k])}")
        for s in range(n):
            x_hat = line_of(md, rf"\hat{{x}}_{{{f}}}^{{({s + 1})}}")
            assert x_hat == (rf"\hat{{x}}_{{{f}}}^{{({s + 1})}} &= \frac{{{num(below['a'][s][k])} - "
                             rf"{num(bn['mean'][k])}}}{{{f5(bn['std'][k])}}} = {f5(bn['x_hat'][s][k])}")
            # the batch's JSON δ and ∂L/∂a carry the mean's 1/N; the document's are each sample's own
            back = line_of(md, rf"\frac{{\partial \ell_{{{s + 1}}}}}{{\partial {f}}}")
            numbers = (rf"\frac{{{f5(bn['weights'][k][0])}}}{{{n} \cdot {f5(bn['std'][k])}}}\left({n} \cdot "
                       rf"{num(bn['delta'][s][k] * n)} - {num(bn['sum_delta'][k])} - {num(bn['x_hat'][s][k])} "
                       rf"\cdot {num(bn['sum_delta_x_hat'][k])}\right)")
            assert numbers in back and back.endswith(f"= {f5(below['dL_da'][s][k] * n)}"), back


def _sub(name: str) -> str:
    """h1_1 as the solution names it, h_{1,1}."""
    letter, a, b = re.fullmatch(r"([a-z])(\d+)_(\d+)", name).groups()
    return f"{letter}_{{{a},{b}}}"
