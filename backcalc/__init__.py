"""backcalc: a backpropagation calculator, as a command and as a library.

    import backcalc
    spec = backcalc.load_spec("configs/mazur.yaml")   # a path, YAML text or a dict
    r = backcalc.step(spec)                            # every quantity of one step; r.to_dict() is --json
    r2 = backcalc.step(r.next_spec())                  # the next step, from the updated parameters
    run = backcalc.train(spec, 100)                    # iterate for epoch records; run.result at the end

`forward`, `check` and `gradcheck` complete it (docs/api.md). Importing backcalc imports neither
typer nor rich, and each name is imported on first use.
"""

# Nothing more is imported here: until `backcalc.entry` installs its Ctrl-C handler, every module
# loaded (`__future__` and `types` were two, ~0.8 ms) is a moment a Ctrl-C prints a traceback.
import sys

__all__ = ["__version__", "load_spec", "example", "step", "train", "forward", "check", "gradcheck",
           "parse_spec", "Spec", "Network", "StepResult", "TrainResult", "Training", "EpochRecord",
           "ForwardResult", "CheckResult", "GradcheckResult", "SpecError", "UsageError"]

# Where each public name lives, imported on first use (so that `import backcalc` stays cheap).
_HOMES = {
    "load_spec": "api", "example": "api", "step": "api", "train": "api", "forward": "api", "check": "api",
    "gradcheck": "api", "parse_spec": "spec_read", "Spec": "spec_model", "Network": "network",
    "StepResult": "result", "TrainResult": "result", "EpochRecord": "result", "ForwardResult": "result",
    "Training": "train_run", "CheckResult": "check", "GradcheckResult": "gradcheck",
    "SpecError": "errors", "UsageError": "errors",
}


def version() -> str:
    """The installed distribution's version (what importlib.metadata reports)."""
    import os
    import sys

    # Read straight from the first backcalc-*.dist-info on sys.path, where importlib.metadata
    # would find it: importing importlib.metadata (email, zipfile, csv…) costs more than the
    # rest of `backcalc --version`.
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith("backcalc-") and name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry or ".", name, "METADATA"), encoding="utf-8") as f:
                        for line in f:
                            if line.startswith("Version:"):
                                return line.split(":", 1)[1].strip()
                            if not line.strip():  # the end of the headers
                                break
                except OSError:
                    pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("backcalc")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def __getattr__(name: str):
    # importlib.metadata alone costs tens of milliseconds: the version is read on first use too
    if name == "__version__":
        return version()
    if name in _HOMES:
        from importlib import import_module

        value = getattr(import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value  # found directly next time
        return value
    raise AttributeError(f"module 'backcalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "version"])


class _Package(type(sys)):  # types.ModuleType
    """The package, whose functions `check`, `forward` and `gradcheck` share their names with modules:
    importing the module `backcalc.check` binds nothing here, so `backcalc.check` stays the function
    (the module is `sys.modules["backcalc.check"]`, as `from backcalc.check import …` finds it)."""

    def __setattr__(self, name: str, value) -> None:
        if name in _HOMES and isinstance(value, type(sys)):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
