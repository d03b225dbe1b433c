"""The weight tensors of a PyTorch file that pickles whole modules, read without running any of its code.

``torch.save(model)`` (rather than ``model.state_dict()``) stores the module's classes by name; loading it
normally imports those classes and runs whatever the pickle asks of them, which is why vivid refuses such files
without ``--allow-pickle``. Many published weight files are like this (the popular VDSR port stores
``{"epoch": 50, "model": vdsr.Net}``). This reader unpickles them with every class the file names replaced by an
inert stub that only keeps the attributes it is given, and only torch's tensor and storage rebuilding
functions (and ``OrderedDict``) real — the same things ``torch.load(weights_only=True)`` allows. Nothing of the
file's code runs, so the result is as safe as a state dict; the caller then recognises the architecture from
the tensor names and shapes, as for any state dict, and builds vivid's own network for it.
"""

from __future__ import annotations

import collections
import pickle
import types
from pathlib import Path
from typing import Any

#: the real callables a pickled module may name: torch's tensor rebuilding, storages, OrderedDict
_REAL = {
    ("collections", "OrderedDict"): collections.OrderedDict,
}
_TORCH_FUNCTIONS = {"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter",
                    "_rebuild_parameter_with_state"}


class _Stub:
    """Stands for any class the file names: keeps the arguments and the state it is given, runs nothing."""

    _vivid_name = "?"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__["_vivid_args"] = args

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):  # (dict, slots)
            state = {**(state[0] or {}), **state[1]}
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self.__dict__["_vivid_state"] = state


def _stub_class(module: str, name: str) -> type:
    return type(name, (_Stub,), {"_vivid_name": f"{module}.{name}", "__module__": "vivid.zoo.pickled_tensors"})


def _reconstructor(cls: Any, base: Any, state: Any) -> Any:
    """``copyreg._reconstructor`` for stubs only (protocol 0/1 pickles)."""
    if not (isinstance(cls, type) and issubclass(cls, _Stub)):
        raise pickle.UnpicklingError("a pickled object that is not a stub")
    obj = object.__new__(cls)
    if state is not None:
        obj.__setstate__(state)
    return obj


def _find(module: str, name: str) -> Any:
    import torch

    if (module, name) in _REAL:
        return _REAL[(module, name)]
    if module == "torch._utils" and name in _TORCH_FUNCTIONS:
        return getattr(torch._utils, name)
    if module == "torch" and name.endswith("Storage") and hasattr(torch, name):
        return getattr(torch, name)
    if module == "torch" and name == "Size":
        return torch.Size
    if (module, name) == ("torch.nn.parameter", "Parameter"):  # old files pickle the class itself
        return torch.nn.Parameter
    if module == "copyreg" and name == "_reconstructor":
        return _reconstructor
    if module == "builtins" and name == "object":
        return object
    return _stub_class(module, name)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return _find(module, name)


#: what torch.load takes as ``pickle_module``
_PICKLE = types.SimpleNamespace(Unpickler=_Unpickler, load=lambda f, **kw: _Unpickler(f, **kw).load(),
                                __name__="vivid.zoo.pickled_tensors")


def _state_of(obj: Any, prefix: str = "") -> dict[str, Any]:
    """A stubbed module's state dict: its ``_parameters`` and persistent ``_buffers``, then its ``_modules``'."""
    d = obj.__dict__
    out: dict[str, Any] = {}
    for k, t in (d.get("_parameters") or {}).items():
        if t is not None:
            out[prefix + k] = t
    skip = d.get("_non_persistent_buffers_set") or set()
    for k, t in (d.get("_buffers") or {}).items():
        if t is not None and k not in skip:
            out[prefix + k] = t
    for k, m in (d.get("_modules") or {}).items():
        if isinstance(m, _Stub):
            out.update(_state_of(m, f"{prefix}{k}."))
    return out


def _modules_in(obj: Any) -> list[_Stub]:
    """Stubbed modules at the top of ``obj``: itself, or the values of a checkpoint dict."""
    def is_module(x: Any) -> bool:
        return isinstance(x, _Stub) and isinstance(x.__dict__.get("_modules"), dict)

    if is_module(obj):
        return [obj]
    if isinstance(obj, dict):
        return [v for v in obj.values() if is_module(v)]
    return []


def read_pickled_state(path: Path) -> tuple[dict[str, Any], str] | None:
    """``(state dict, class name)`` of the one whole module pickled in ``path`` (alone or as a value of a
    checkpoint dict), read without running the file's code; None when the file holds no such module, or
    several, or cannot be read this way."""
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_PICKLE)
    except Exception:  # noqa: BLE001 - not readable this way: the caller reports the file as it was
        return None
    modules = _modules_in(obj)
    if len(modules) != 1:
        return None
    state = _state_of(modules[0])
    if not state or not all(isinstance(t, torch.Tensor) for t in state.values()):
        return None
    return state, type(modules[0])._vivid_name
