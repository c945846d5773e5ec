"""Random circuits for the tests: expression graphs up to depth 8 over every gate, leaves reused, as
`define:` steps with reassignments, each written as YAML (the spec) and kept as text (the reference
evaluates the same text with PyTorch, parsed by Python itself, not by backcalc)."""

from __future__ import annotations

import random

UNARY = ["neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "softplus", "gelu", "leaky_relu",
         "identity", "pow_const"]
BINARY = ["add", "sub", "mul", "div", "max", "min", "pow_var"]


def expression(rng: random.Random, names: list[str], depth: int) -> str:
    """A random expression over `names`, every gate in safe form (log, sqrt, division, powers and exp kept
    inside their domains and a float's range)."""
    if depth == 0 or rng.random() < 0.15:
        return rng.choice(names) if rng.random() < 0.9 else repr(round(rng.uniform(-2, 2), 2))
    if rng.random() < 0.5:
        op, a = rng.choice(UNARY), expression(rng, names, depth - 1)
        return {"neg": f"-({a})", "exp": f"exp(tanh({a}))", "log": f"log(({a})**2 + 0.5)",
                "sqrt": f"sqrt(({a})**2 + 0.25)", "pow_const": f"tanh({a})**{rng.choice([2, 3])}"}.get(op, f"{op}({a})")
    op = rng.choice(BINARY)
    a, b = expression(rng, names, depth - 1), expression(rng, names, depth - 1)
    return {"add": f"({a}) + ({b})", "sub": f"({a}) - ({b})", "mul": f"tanh({a}) * ({b})",
            "div": f"({a}) / (({b})**2 + 1)", "max": f"max({a}, {b})", "min": f"min({a}, {b})",
            "pow_var": f"(sigmoid({a}) + 0.5)**tanh({b})"}[op]


def circuit(seed: int) -> tuple[dict, list[tuple[str, str]]]:
    """(leaf values, define steps): 2-4 leaves, 2-5 steps, some reassigning an earlier name (which they use)."""
    rng = random.Random(seed)
    leaves = {f"x{i}": round(rng.uniform(-2, 2), 3) for i in range(rng.randint(2, 4))}
    steps: list[tuple[str, str]] = []
    bound: list[str] = []
    for k in range(rng.randint(2, 5)):
        depth = rng.randint(1, 8)
        if bound and rng.random() < 0.3:
            name = rng.choice(bound)
            steps.append((name, f"{name} * 0.5 + ({expression(rng, [*leaves, *bound], depth)})"))
        else:
            name = f"s{k}"
            steps.append((name, expression(rng, [*leaves, *bound], depth)))
            bound.append(name)
    # the output uses every name and every leaf, so nothing is left unused
    steps.append(("out", " + ".join([*bound, *leaves])))
    return leaves, steps


def spec_text(leaves: dict, steps: list[tuple[str, str]]) -> str:
    values = ", ".join(f"{k}: {v!r}" for k, v in leaves.items())
    return f"values: {{{values}}}\ndefine:\n" + "".join(f"  - {name}: \"{text}\"\n" for name, text in steps)


def torch_reference(leaves: dict, steps: list[tuple[str, str]]) -> tuple[float, dict]:
    """The output and its gradients by torch.autograd in float64, the text evaluated by Python's own parser."""
    import torch

    def route(pick):  # ties go to the first argument, as backcalc's max and min route them
        return lambda a, b: torch.where(pick(a, b), a, b)

    functions = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "tanh": torch.tanh,
                 "sigmoid": torch.sigmoid, "relu": torch.relu, "abs": torch.abs, "identity": lambda z: z,
                 "softplus": torch.nn.functional.softplus,
                 "gelu": lambda z: torch.nn.functional.gelu(z, approximate="tanh"),
                 "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
                 "max": route(lambda a, b: a >= b), "min": route(lambda a, b: a <= b)}
    def tensor(x):
        return x if isinstance(x, torch.Tensor) else torch.tensor(float(x), dtype=torch.float64)

    def taking_numbers(f):  # constants of the text become tensors
        return lambda *a: f(*map(tensor, a))

    functions = {name: taking_numbers(f) for name, f in functions.items()}
    env = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in leaves.items()}
    inputs = dict(env)
    for name, text in steps:
        env[name] = eval(text, {"__builtins__": {}, **functions}, dict(env))  # test-side reference only
    env["out"].backward()
    return float(env["out"].detach()), {k: float(t.grad) for k, t in inputs.items()}
