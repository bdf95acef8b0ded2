"""Devices and precisions for neural adapters: one grammar, one resolution rule, one error line.

Every torch or ONNX adapter takes `device=` with the values `auto`, `cpu`, `cuda`, `cuda:N` or
`mps`, and torch adapters take `dtype=` (`float32`, `float16`, `bfloat16`). `auto` picks CUDA when
torch sees a GPU, else Apple's MPS, else the CPU. Asking for a device this machine lacks is a
`BadInput` (one line naming what was asked, what torch sees and the fix), never a silent fallback:
a benchmark that quietly ran on the CPU would report the wrong machine.

torch is imported only when a device is resolved, so adapter modules stay cheap to list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rankbench.harness.deps import require
from rankbench.harness.errors import BadInput

DEVICE_DEFAULT = "auto"
DTYPES = ("float32", "float16", "bfloat16")


def _torch() -> Any:
    return require("torch", None, "neural adapters")


def _check_spelling(device: str) -> tuple[str, int | None]:
    """(kind, index) of a device string; kind is auto, cpu, cuda or mps."""
    text = str(device).strip().lower()
    kind, _, index = text.partition(":")
    if kind not in ("auto", "cpu", "cuda", "mps") or (index and (kind != "cuda" or not index.isdigit())):
        raise BadInput(f"device {device!r} is not one of auto, cpu, cuda, cuda:N, mps")
    return kind, int(index) if index else None


def resolve_device(device: str = DEVICE_DEFAULT) -> str:
    """The torch device string to run on: `cpu`, `cuda:N` or `mps`.

    Raises:
        BadInput: unknown spelling, or a CUDA/MPS device this machine's torch cannot use.
    """
    kind, index = _check_spelling(device)
    if kind == "cpu":
        return "cpu"
    torch = _torch()
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if kind == "auto":
        return "cuda:0" if cuda else "mps" if mps else "cpu"
    if kind == "mps":
        if not mps:
            raise BadInput(f"device 'mps' requested but torch {torch.__version__} sees no MPS device; use device=cpu")
        return "mps"
    if not cuda:
        raise BadInput(
            f"device {device!r} requested but torch {torch.__version__} sees no CUDA GPU "
            f"(built for CUDA: {torch.version.cuda or 'no'}); use device=auto or device=cpu"
        )
    count = torch.cuda.device_count()
    if (index or 0) >= count:
        raise BadInput(f"device {device!r} requested but torch sees {count} CUDA GPU(s) (cuda:0..cuda:{count - 1})")
    return f"cuda:{index or 0}"


def needs_gpu(device: str) -> bool:
    """Whether a device setting asks for a GPU outright (`cuda`, `cuda:N`): the Ray executor's num_gpus."""
    return _check_spelling(device)[0] == "cuda"


def resolve_dtype(dtype: str, device: str) -> Any:
    """The torch dtype for `dtype` on an already resolved `device`.

    Half precision is for accelerators: `float16` on the CPU is refused (slow or unsupported
    kernels), `bfloat16` is accepted everywhere torch supports it.
    """
    if dtype not in DTYPES:
        raise BadInput(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    if dtype == "float16" and device == "cpu":
        raise BadInput("dtype float16 needs a GPU; on the CPU use dtype=float32 or dtype=bfloat16")
    return getattr(_torch(), dtype)


@dataclass(frozen=True)
class TorchPlacement:
    """Where and in which precision a torch model runs: the resolved device, the dtype's name, and the
    keyword arguments that load a sentence-transformers model (embedder, ColBERT, cross-encoder) in that
    dtype: none for float32, the precision the libraries load in by default."""

    device: str
    dtype: str
    load_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "load_kwargs", MappingProxyType(dict(self.load_kwargs)))


def torch_placement(device: str, dtype: str) -> TorchPlacement:
    """`resolve_device`, then `resolve_dtype` on that device (the errors of each, in that order).

    Raises:
        BadInput: an unknown or absent device, or an unknown dtype or one the device cannot run.
    """
    resolved = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, resolved)
    return TorchPlacement(resolved, dtype, {} if dtype == "float32" else {"model_kwargs": {"dtype": torch_dtype}})


def describe(device: str, dtype: str = "float32") -> dict[str, str]:
    """Provenance of a resolved device: the device, its GPU name where there is one, and the dtype."""
    info = {"device": device, "dtype": dtype}
    if device.startswith("cuda"):
        torch = _torch()
        info["gpu"] = str(torch.cuda.get_device_name(torch.device(device)))
    return info


def device_label(provenance: Mapping[str, Any]) -> str:
    """How a leaderboard names the device a result ran on: `cpu`, `cuda:0 NVIDIA H200 float16`, ...

    From a result's `provenance` (`device`, `gpu`, and `model.dtype` when not float32). A result
    without a device record ran on the CPU: only adapters that hold torch or ONNX models can
    use another device, and they record it.
    """
    model = provenance.get("model") if isinstance(provenance.get("model"), Mapping) else {}
    gpu = provenance.get("gpu") or model.get("gpu")
    dtype = model.get("dtype")
    parts = [
        str(provenance.get("device") or "cpu"),
        str(gpu) if gpu else "",
        dtype if dtype not in (None, "float32") else "",
    ]
    return " ".join(p for p in parts if p)


def onnx_providers(device: str) -> tuple[str, list[Any]]:
    """(resolved device, onnxruntime providers) for an ONNX model; CUDA needs onnxruntime's CUDA provider.

    `auto` takes the CUDA provider when this onnxruntime build has it, else the CPU.
    """
    kind, index = _check_spelling(device)
    ort = require("onnxruntime", "ir", "ONNX models")
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if kind == "cpu" or (kind == "auto" and not has_cuda):
        return "cpu", ["CPUExecutionProvider"]
    if kind == "mps":
        raise BadInput("ONNX models run on cpu or cuda, not mps; use device=cpu")
    if not has_cuda:
        raise BadInput(
            f"device {device!r} requested but onnxruntime {ort.__version__} has no CUDAExecutionProvider "
            "(pip install onnxruntime-gpu); use device=auto or device=cpu"
        )
    return f"cuda:{index or 0}", [("CUDAExecutionProvider", {"device_id": index or 0}), "CPUExecutionProvider"]
