"""PyTorch weight files (``.pth .pt .ckpt .bin .safetensors``) whose architecture spandrel recognises,
or one of the published methods of :mod:`vivid.zoo.peers` (low-light networks, VDSR's port).

Why not ``spandrel.ModelLoader().load_from_file``: for ``.pt`` files spandrel 0.4.2 first tries
``torch.jit.load`` (TorchScript, i.e. code shipped in the file). So vivid reads the tensors itself —
``torch.load(weights_only=True)`` or safetensors, which unpickle no Python objects — and gives spandrel
only the state dict. A file that pickles one whole ``nn.Module`` of an architecture vivid or spandrel
recognises loads from its tensors, read without running its code (:mod:`vivid.zoo.pickled_tensors`); other
files that store pickled objects (whole modules, TorchScript) load only with ``allow_pickle=True``, and then
run as they are.
"""

from __future__ import annotations

import pickle
import re
import warnings
from pathlib import Path
from typing import Any

from vivid.errors import ModelError
from vivid.models.base import Restorer
from vivid.models.torch_runtime import TorchRestorer
from vivid.zoo.builtin import file_sha256
from vivid.zoo.file_support import (
    brief,
    check_scale,
    not_a_model,
    probe_scale,
    size_rule,
    speed_class_for,
    user_descriptor,
)
from vivid.zoo.peers import load_peer, recognise

# what torch.load(weights_only=True) says when a file pickles Python objects, or is no pickle at all
_UNSAFE_GLOBAL = re.compile(r"GLOBAL (\S+) was not an allowed global")
_UNPICKLER_REASON = re.compile(r"WeightsUnpickler error:\s*(\S[^\n]*)")
_SPANDREL_EXAMPLES = (
    "Real-ESRGAN (ESRGAN, Compact), SwinIR, HAT, DAT, OmniSR, SPAN, DCTLSA, DnCNN, DRUNet, SCUNet, NAFNet"
)
#: spandrel calls these "Restoration"; they brighten dark images
_LOWLIGHT_ARCHS = {"RetinexFormer", "HVICIDNet"}
#: the receptive field of an arbitrary architecture is unknown; attention windows reach ~16-32 px
_TILE_OVERLAP = 32


def load_torch_file(path: Path, *, task: str | None, scale: int | None, allow_pickle: bool) -> Restorer:
    """A :class:`~vivid.models.torch_runtime.TorchRestorer` for the weights in ``path``."""
    import torch

    sha = file_sha256(path)
    obj = _read(path, allow_pickle=allow_pickle)
    module = obj if isinstance(obj, torch.nn.Module) else _single_module(obj)
    if module is not None:
        return _from_module(path, sha, module, task=task, scale=scale)
    return _from_state_dict(path, sha, obj, task=task, scale=scale)


def _read(path: Path, *, allow_pickle: bool) -> Any:
    import torch

    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path), device="cpu")
        except Exception as e:  # noqa: BLE001 - safetensors raises its own error types
            raise not_a_model(path, "safetensors", brief(e)) from e
    try:
        with warnings.catch_warnings():  # "torch.load received ... a TorchScript archive": handled below
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = _UNSAFE_GLOBAL.search(str(e))
        if found is None:
            reason = _UNPICKLER_REASON.search(str(e))
            raise not_a_model(path, "torch.load", reason.group(1) if reason else brief(e)) from e
        what, torchscript = f"pickled Python objects ({found.group(1)})", False
    except RuntimeError as e:
        if "TorchScript" not in str(e):
            raise not_a_model(path, "torch.load", brief(e)) from e
        what, torchscript = "a TorchScript program", True
    except Exception as e:  # noqa: BLE001 - a non-model file fails in many ways (KeyError, EOFError, ...)
        raise not_a_model(path, "torch.load", brief(e)) from e
    if not torchscript:
        known = _known_pickled_state(path)
        if known is not None:  # an architecture vivid knows: its tensors, read without running the file's code
            return known
    if not allow_pickle:
        raise ModelError(
            f"model file {path.name!r} stores {what}, not only tensors: loading it runs code from the file. "
            f"Pass allow_pickle=True (CLI: --allow-pickle) only for a file you trust, "
            f"or re-save its state_dict as .pth/.safetensors"
        )
    try:
        if torchscript:
            return torch.jit.load(path, map_location="cpu")
        return torch.load(path, map_location="cpu", weights_only=False)
    except (ImportError, AttributeError) as e:
        raise ModelError(
            f"model file {path.name!r} stores {what} whose code is not available here ({e}): a pickled "
            f"module cannot run without its original Python code. With that code, save model.state_dict() "
            f"(.pth/.safetensors) or export ONNX, and load that file"
        ) from e
    except Exception as e:  # noqa: BLE001 - whatever the file's own code raised
        raise ModelError(f"model file {path.name!r} failed to unpickle ({brief(e)}); check the file") from e


def _known_pickled_state(path: Path) -> dict[str, Any] | None:
    """The state dict of a file that pickles one whole module (:mod:`vivid.zoo.pickled_tensors`: read with
    stubs, none of its code run) when vivid or spandrel recognises the architecture by its tensors; else None
    (then the file needs ``allow_pickle`` and its own code, as before)."""
    import spandrel

    from vivid.zoo.pickled_tensors import read_pickled_state

    with warnings.catch_warnings():  # torch: "Couldn't retrieve source code for container of type ..."
        warnings.simplefilter("ignore", UserWarning)
        found = read_pickled_state(path)
    if found is None:
        return None
    state = spandrel.canonicalize_state_dict(found[0])
    if recognise(state) is not None:
        return state
    try:
        spandrel.ModelLoader().load_from_state_dict(state)
    except Exception:  # noqa: BLE001 - not an architecture spandrel knows (or not these shapes)
        return None
    return state


def _single_module(obj: Any) -> Any:
    """The one ``nn.Module`` inside a checkpoint dict (e.g. ``{"epoch": 50, "model": Net(...)}``), or None."""
    import torch

    if not isinstance(obj, dict):
        return None
    modules = [v for v in obj.values() if isinstance(v, torch.nn.Module)]
    return modules[0] if len(modules) == 1 else None


def _from_state_dict(path: Path, sha: str, obj: Any, *, task: str | None, scale: int | None) -> Restorer:
    import spandrel
    import torch

    state = spandrel.canonicalize_state_dict(obj) if isinstance(obj, dict) else {}
    if not any(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(
            f"{path.name!r} is not a model file: it holds no weight tensors ({type(obj).__name__})"
        )

    peer = load_peer(path, sha, state, task=task, scale=scale)  # published methods spandrel lacks
    if peer is not None:
        return peer
    try:
        model = spandrel.ModelLoader().load_from_state_dict(state)
    except spandrel.UnsupportedModelError as e:
        raise ModelError(
            f"model file {path.name!r}: spandrel {spandrel.__version__} does not recognise its architecture "
            f"(it knows {len(spandrel.MAIN_REGISTRY)}, e.g. {_SPANDREL_EXAMPLES}); "
            f"export the model to ONNX with its original code and load the .onnx file"
        ) from e
    except Exception as e:  # noqa: BLE001 - a recognised architecture whose weights do not fit it
        raise ModelError(
            f"model file {path.name!r}: spandrel could not build its architecture ({brief(e)}); "
            f"the file may be damaged or an unsupported variant"
        ) from e
    if not isinstance(model, spandrel.ImageModelDescriptor):
        raise ModelError(
            f"model file {path.name!r} is a {model.purpose} model ({model.architecture.name}): "
            f"vivid runs image-to-image restoration models only"
        )
    return _spandrel_restorer(path, sha, model, task=task, scale=scale)


def _spandrel_restorer(path: Path, sha: str, model: Any, *, task: str | None, scale: int | None) -> Restorer:
    from spandrel import ModelTiling

    arch = model.architecture
    check_scale(path, model.scale, scale)
    default_task = "lowlight" if arch.id in _LOWLIGHT_ARCHS else "denoise"
    req = model.size_requirements
    if req.square:
        raise ModelError(
            f"model file {path.name!r} ({arch.name}) needs square inputs, which vivid does not provide"
        )
    n_params = sum(p.numel() for p in model.model.parameters())
    descriptor = user_descriptor(
        path, sha, f"{arch.name} ({', '.join(model.tags)}) via spandrel", task=task, default_task=default_task,
        scale=model.scale, channels=model.input_channels, out_channels=model.output_channels,
        size_multiple=req.multiple_of, min_size=max(1, req.minimum), tileable=model.tiling == ModelTiling.SUPPORTED,
        tile_overlap=_TILE_OVERLAP, runtime="torch",
        dtypes=("float32", "bfloat16") if model.supports_bfloat16 else ("float32",), speed_class=speed_class_for(n_params),
    )
    return TorchRestorer(_SpandrelCall(model), descriptor)


class _SpandrelCall:
    """A spandrel model in the shape TorchRestorer expects of a module (``eval()`` and a call).

    spandrel's call adds what some architectures need around the bare network (noise-level maps for
    DnCNN/DRUNet variants, the first of tuple outputs) and pads to the architecture's size rules.
    """

    def __init__(self, model: Any) -> None:
        self.model = model

    def eval(self) -> _SpandrelCall:
        self.model.eval()
        return self

    def __call__(self, x: Any) -> Any:
        return self.model(x)


def _from_module(path: Path, sha: str, module: Any, *, task: str | None, scale: int | None) -> Restorer:
    """A whole module (pickled or TorchScript; allow_pickle only), run as it is on [0, 1] images."""
    import torch

    module.eval()

    def run(x: Any) -> Any:
        with torch.inference_mode():
            return module(torch.from_numpy(x)).numpy()

    # the input channel count is learned by running: a convolution accepts only its own count
    failures = []
    for channels in (3, 1):
        try:
            model_scale, out_channels, probed = probe_scale(path, run, channels)
            break
        except ModelError as e:
            failures.append(str(e))
    else:
        raise ModelError("; ".join(failures))
    multiple, min_size = size_rule(probed)
    name = getattr(module, "original_name", type(module).__name__)  # TorchScript keeps the class name there
    check_scale(path, model_scale, scale)
    descriptor = user_descriptor(
        path, sha, f"whole module {name} (allow_pickle), run as is", task=task, default_task=None, scale=model_scale,
        channels=channels, out_channels=out_channels, size_multiple=multiple, min_size=min_size,
        tile_overlap=_TILE_OVERLAP, runtime="torch", speed_class=speed_class_for(sum(p.numel() for p in module.parameters())),
    )
    return TorchRestorer(module, descriptor)
