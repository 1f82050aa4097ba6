"""Allowlisting, inert unpickler for StyleGAN-family network snapshots (INR-GAN, CREPS); executes nothing."""

from __future__ import annotations

import collections
import pickle
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.network_pickle_values import (
    LazyTensor,
    NDArrayMarker,
    NDArrayRecord,
    NumpyDType,
    Refused,
    is_int,
    load_from_bytes,
    materialize,
    np_scalar,
    rebuild_parameter,
    rebuild_tensor_v2,
)
from engine.errors import CheckpointError, one_line

__all__ = [
    "LazyTensor",
    "ModuleRecord",
    "ObjectRecord",
    "PersistentRecord",
    "is_network_pickle",
    "load_network_pickle",
    "to_plain",
]

_LEGACY_HEADER = b"\x80\x02\x8a\x0a"  # legacy torch.save stream: protocol 2 + LONG1 of the magic number
_MAX_DEPTH = 200


# ----------------------------------------------------------------------------- inert stand-ins
class _AnyType:
    """Stand-in for ``typing.Any`` inside omegaconf metadata."""

    def __repr__(self) -> str:
        return "typing.Any"


ANY = _AnyType()


class EasyDict(dict):
    """Stand-in for ``dnnlib.util.EasyDict``: a plain dict (NEWOBJ + SETITEMS)."""

    def __setstate__(self, state: Any) -> None:
        pass  # an EasyDict keeps its items in the dict itself, never in __dict__


class ObjectRecord:
    """An object pickled by class reference (NEWOBJ/REDUCE + BUILD), kept as its raw state."""

    module: str = ""
    name: str = ""
    args: tuple[Any, ...] = ()
    state: Any = None

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state)
            state = state[0] if state[0] is not None else state[1]
        self.state = state

    def __repr__(self) -> str:
        return f"<{self.module}.{self.name} record>"


class ModuleRecord:
    """Common accessors for anything with an ``nn.Module`` ``__dict__`` (persistent or not).

    Attributes
    ----------
    class_name : str
        The class name as pickled (``"SynthesisLayer"``, ``"ModuleList"`` ...).
    state : dict
        The object's ``__dict__`` as unpickled: ``_parameters``, ``_buffers``, ``_modules`` (children records),
        plain attributes. Tensors inside it may be `LazyTensor`; use the accessors to get real tensors.
    """

    class_name: str
    state: Any

    def _dict(self, key: str) -> dict[str, Any]:
        d = self.state.get(key) if isinstance(self.state, dict) else None
        return dict(d) if isinstance(d, dict) else {}

    @property
    def parameters(self) -> dict[str, torch.Tensor]:
        return {k: materialize(v) for k, v in self._dict("_parameters").items() if v is not None}

    @property
    def buffers(self) -> dict[str, torch.Tensor]:
        skip = self.state.get("_non_persistent_buffers_set") if isinstance(self.state, dict) else None
        skip = skip if isinstance(skip, (set, frozenset)) else set()
        return {k: materialize(v) for k, v in self._dict("_buffers").items() if v is not None and k not in skip}

    @property
    def children(self) -> dict[str, ModuleRecord]:
        return {k: v for k, v in self._dict("_modules").items() if isinstance(v, ModuleRecord)}

    @property
    def init_args(self) -> tuple[Any, ...]:
        a = self.state.get("_init_args", ()) if isinstance(self.state, dict) else ()
        return tuple(to_plain(a)) if isinstance(a, (tuple, list)) else ()

    @property
    def init_kwargs(self) -> dict[str, Any]:
        k = self.state.get("_init_kwargs", {}) if isinstance(self.state, dict) else {}
        return to_plain(k) if isinstance(k, dict) else {}

    def attr(self, name: str, default: Any = None) -> Any:
        """A plain attribute of the object (omegaconf / EasyDict values converted to plain Python)."""
        if not isinstance(self.state, dict) or name not in self.state:
            return default
        return to_plain(self.state[name])

    def child(self, path: str) -> ModuleRecord:
        """The sub-record at a dotted path (``"synthesis.b4.conv1"``); KeyError if absent."""
        rec: ModuleRecord = self
        for part in path.split("."):
            kids = rec.children
            if part not in kids:
                raise KeyError(f"{path}: no child {part!r} in {rec.class_name}")
            rec = kids[part]
        return rec

    def named_records(self, prefix: str = "") -> list[tuple[str, ModuleRecord]]:
        """(dotted path, record) for this record and every descendant, in module order."""
        out: list[tuple[str, ModuleRecord]] = []
        seen = {id(self)}
        stack = [(prefix, self, 0)]
        while stack:
            p, rec, depth = stack.pop(0)
            out.append((p, rec))
            if depth > _MAX_DEPTH:
                raise CheckpointError("module tree too deep")
            for name, kid in rec.children.items():
                if id(kid) not in seen:
                    seen.add(id(kid))
                    stack.append((f"{p}.{name}" if p else name, kid, depth + 1))
        return out

    def state_dict(self, prefix: str = "") -> dict[str, torch.Tensor]:
        """Flat torch-style state dict (``'synthesis.b4.conv1.weight' -> Tensor``) in ``nn.Module`` order."""
        out: dict[str, torch.Tensor] = {}
        self._collect(prefix, out, 0)
        return out

    def _collect(self, prefix: str, out: dict[str, torch.Tensor], depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise CheckpointError("module tree too deep")
        for k, v in self.parameters.items():
            out[prefix + k] = v
        for k, v in self.buffers.items():
            out[prefix + k] = v
        for k, kid in self.children.items():
            kid._collect(f"{prefix}{k}.", out, depth + 1)


class PersistentRecord(ModuleRecord):
    """A ``torch_utils.persistence`` object: class name, never-executed source text and instance state.

    Attributes
    ----------
    class_name : str
        ``meta['class_name']``.
    module_src : str
        The defining module's source as embedded in the file. Inert text: never executed or imported.
    version : int
        ``meta['version']`` (6 in every known file).
    module : None
        Persistent records carry no importable module name (the official loader invents one).
    """

    module = None

    def __init__(self, class_name: str, module_src: str, version: int, state: dict[str, Any]) -> None:
        self.class_name = class_name
        self.module_src = module_src
        self.version = version
        self.state = state

    def __repr__(self) -> str:
        return f"<persistent {self.class_name} record>"


class ModuleObjectRecord(ObjectRecord, ModuleRecord):
    """A non-persistent ``nn.Module`` pickled by reference (ModuleList, Sequential, CREPS SynthesisInput)."""

    @property
    def class_name(self) -> str:  # type: ignore[override]
        return self.name


_record_classes: dict[tuple[str, str], type[ObjectRecord]] = {}


def _record_class(module: str, name: str, base: type[ObjectRecord]) -> type[ObjectRecord]:
    key = (module, name)
    if key not in _record_classes:
        _record_classes[key] = type(f"{name}Record", (base,), {"module": module, "name": name})
    return _record_classes[key]


# ----------------------------------------------------------------------------- omegaconf -> plain
_OMEGA_CONTAINERS = {"DictConfig", "ListConfig"}
_OMEGA_NODES = {"AnyNode", "StringNode", "IntegerNode", "FloatNode", "BooleanNode", "BytesNode", "PathNode",
                "ValueNode"}


def to_plain(value: Any, _depth: int = 0) -> Any:
    """Convert EasyDict / OrderedDict / omegaconf records (DictConfig, ListConfig, nodes) to plain Python.

    Interpolation strings such as ``'${coords.low_res_cfg}'`` are kept verbatim (resolve them yourself).
    """
    if _depth > _MAX_DEPTH:
        raise CheckpointError("nested configuration too deep")
    d = _depth + 1
    if isinstance(value, ObjectRecord) and value.module.startswith("omegaconf"):
        st = value.state if isinstance(value.state, dict) else {}
        if value.name in _OMEGA_NODES:
            return to_plain(st.get("_val"), d)
        if value.name in _OMEGA_CONTAINERS:
            return to_plain(st.get("_content"), d)
        return value
    if isinstance(value, NDArrayRecord):
        return value.array
    if isinstance(value, dict):
        return {to_plain(k, d): to_plain(v, d) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v, d) for v in value]
    if isinstance(value, tuple):
        return tuple(to_plain(v, d) for v in value)
    return value


# ----------------------------------------------------------------------------- the outer unpickler
def _reconstruct_persistent_obj(meta: Any) -> PersistentRecord:
    """Inert replacement for ``torch_utils.persistence._reconstruct_persistent_obj``."""
    if not isinstance(meta, dict) or meta.get("type") != "class":
        raise Refused("malformed persistent object")
    name, src, state = meta.get("class_name"), meta.get("module_src", ""), meta.get("state")
    if not isinstance(name, str) or not isinstance(state, dict):
        raise Refused("malformed persistent object")
    version = meta.get("version")
    return PersistentRecord(name, src if isinstance(src, str) else "", version if is_int(version) else 0, state)


def _defaultdict(factory: Any = None, *args: Any) -> dict[Any, Any]:
    return dict(*args)


def _allowlist() -> dict[tuple[str, str], Any]:
    table: dict[tuple[str, str], Any] = {
        ("torch_utils.persistence", "_reconstruct_persistent_obj"): _reconstruct_persistent_obj,
        ("dnnlib.util", "EasyDict"): EasyDict,
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("collections", "defaultdict"): _defaultdict,
        ("typing", "Any"): ANY,
        ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): rebuild_parameter,
        ("torch.storage", "_load_from_bytes"): load_from_bytes,
        ("numpy", "dtype"): NumpyDType,
        ("numpy", "ndarray"): NDArrayMarker,
    }
    for b in ("builtins", "__builtin__"):  # harmless container constructors (dict: defaultdict's factory)
        table.update({(b, "dict"): dict, (b, "list"): list, (b, "set"): set, (b, "frozenset"): frozenset,
                      (b, "tuple"): tuple})
    for m in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[(m, "scalar")] = np_scalar
        table[(m, "_reconstruct")] = NDArrayRecord
    mods = [("torch.nn.modules.container", n) for n in ("ModuleList", "Sequential", "ModuleDict")]
    mods.append(("training.networks_creps", "SynthesisInput"))  # CREPS: not a persistent class
    for m, n in mods:
        table[(m, n)] = _record_class(m, n, ModuleObjectRecord)
    omega = [("omegaconf.dictconfig", "DictConfig"), ("omegaconf.listconfig", "ListConfig"),
             ("omegaconf.base", "Metadata"), ("omegaconf.base", "ContainerMetadata")]
    omega += [("omegaconf.nodes", n) for n in sorted(_OMEGA_NODES)]
    for m, n in omega:
        table[(m, n)] = _record_class(m, n, ObjectRecord)
    return table


_ALLOWED = _allowlist()


class _SnapshotUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise Refused(f"refused global {module}.{name} (not a known network-pickle class)") from None

    def persistent_load(self, pid: Any) -> Any:
        raise Refused("unexpected persistent id (not a network pickle)")


# ----------------------------------------------------------------------------- public entry points
def is_network_pickle(path: str | Path) -> bool:
    """Cheap sniff: a pickle protocol 2-5 stream that is not a legacy ``torch.save`` file."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return len(head) >= 3 and head[0] == 0x80 and 2 <= head[1] <= 5 and not head.startswith(_LEGACY_HEADER)


def _check_generator(g: Any) -> str | None:
    """Why ``g`` is not a StyleGAN-family Generator record (None when it looks like one)."""
    if not isinstance(g, PersistentRecord):
        return f"G_ema is {type(g).__name__}, not a persistent generator record"
    if g.class_name != "Generator":
        return f"G_ema is a {g.class_name!r}, not a 'Generator'"
    kids = g.children
    if "mapping" not in kids or "synthesis" not in kids:
        return "G_ema has no mapping/synthesis sub-networks (not a generator)"
    kw = g.init_kwargs
    for key in ("z_dim", "w_dim", "c_dim", "img_resolution", "img_channels"):
        if not is_int(kw.get(key)) or kw[key] < 0:
            return f"G_ema init_kwargs lack an integer {key}"
    return None


def load_network_pickle(path: str | Path) -> dict[str, Any]:
    """Read a network snapshot without executing anything from it.

    The official loader ``exec``s the module source embedded in every ``torch_utils.persistence`` record;
    here that global maps to an inert `PersistentRecord` (source kept as text), every other global comes
    from an explicit allowlist (specs/inrgan.md §4.5, specs/creps.md §6.4), and storages are decoded by
    hand onto the CPU. Tensors are copied out lazily: only parameters and persistent buffers are ever
    materialised, so unused non-state tensors (INR-GAN's Fourier caches) cost nothing beyond reading.

    Returns ``{'training_set_kwargs', 'G', 'D', 'G_ema', 'augment_pipe'}`` (missing keys None, as the
    official loader does); ``G_ema`` is a validated `PersistentRecord` of class ``Generator``.
    Raises `CheckpointError` (one line naming the file) for anything unreadable, truncated or hostile.
    """
    p = str(path)
    try:
        with open(path, "rb") as f:
            head = f.read(2)
            if len(head) < 2 or head[0] != 0x80 or not 2 <= head[1] <= 5:
                raise CheckpointError(f"{p}: not a pickle file (no protocol 2-5 header)")
            f.seek(0)
            obj = _SnapshotUnpickler(f).load()
    except CheckpointError:
        raise
    except Refused as e:
        raise CheckpointError(f"{p}: {e}") from None
    except OSError as e:
        raise CheckpointError(f"{p}: cannot read ({e.strerror or e})") from None
    except EOFError:
        raise CheckpointError(f"{p}: truncated file (pickle stream ends early)") from None
    except MemoryError:
        raise CheckpointError(f"{p}: corrupted pickle (out of memory while reading)") from None
    except Exception as e:  # noqa: BLE001  any other decoder failure means a corrupted stream
        msg = one_line(e)[:160]
        raise CheckpointError(f"{p}: corrupted or truncated pickle ({msg})") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{p}: not a network snapshot (top level is {type(obj).__name__}, not a dict)")
    if "G_ema" not in obj:
        raise CheckpointError(f"{p}: not a network snapshot (no G_ema generator)")
    why = _check_generator(obj["G_ema"])
    if why is not None:
        raise CheckpointError(f"{p}: {why}")
    snap = {k: obj.get(k) for k in ("training_set_kwargs", "G", "D", "G_ema", "augment_pipe")}
    snap["training_set_kwargs"] = to_plain(snap["training_set_kwargs"])
    return snap
