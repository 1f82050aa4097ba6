"""Adversarial training of a small CIPS-skip generator on procedural landscape panoramas.

#----------------------------------------------------------------------------
# StyleGAN2 recipe (Karras et al. 2020) as CIPS uses it (Anokhin et al. 2021): non-saturating logistic
# loss, lazy R1 penalty on reals, Adam(beta1 = 0, beta2 = 0.99), EMA of the generator weights.
# Data: crops of full-turn panoramas (periodic along x) at shifted frame coordinates (scale 1) and stride-2
# crops (zoom 0.5), wrapping around the turn, so the generator learns content everywhere along x and beyond
# the [-1, 1]^2 frame along y. The generator's embedding covers the turn and wraps, and its Fourier
# x-frequencies stay whole multiples of 2 pi / turn (`CIPSNetwork.snap_periodic`): periodic by construction.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.models.cips import CIPSConfig, CIPSNetwork, WrappedEmbedding
from engine.training import landscapes
from engine.training.discriminator import Discriminator

TRAIN_SEED_BASE = 1_000_000  # training panoramas use seeds >= this; evaluation uses seeds below it


@dataclass(frozen=True)
class TrainConfig:
    """Every hyperparameter of a run (stored in checkpoints and in the exported weights' metadata)."""

    res: int = 64                    # training frame side (CIPSConfig.size)
    emb_rows: int = 64               # embedding cells over y in [-EMB_HALF_H, EMB_HALF_H]
    emb_cols: int = 128              # embedding cells over one turn along x (wraps); 0: official res x res grid
    hidden: int = 128                # Fourier features = embedding channels
    style_dim: int = 192             # z and w width
    n_mlp: int = 4                   # mapping layers
    first_width: int = 192           # conv1 output width
    widths: tuple[int, ...] = (192, 192, 192)  # one skip block (2 modulated layers + ToRGB) per entry
    d_base: int = 32                 # discriminator channels at full resolution
    d_cap: int = 192                 # discriminator channel cap
    d_coords: bool = True            # discriminator sees the pixels' frame coordinates too (CIPS default)
    batch: int = 32
    lr: float = 0.002
    r1_gamma: float = 0.1
    r1_every: int = 16               # lazy regularisation interval
    ema_kimg: float = 5.0            # EMA half-life in thousands of images
    ema_rampup: float = 0.05         # half-life <= this fraction of the images seen so far
    pano_h: int = 128                # panoramas: one turn (TURN_PIXELS) wide at the frame's spacing (2/63),
                                     #   y in about [-2, 2]
    pool: int = 2048                 # panoramas held in memory; crops are drawn from them
    refresh: int = 4                 # new panoramas swapped into the pool per step (at most)
    zoom_out_p: float = 0.3          # share of stride-2 crops (4 x 4 frame units, zoom 0.5)
    shift_y: float = 0.5             # max vertical shift of scale-1 crops, frame units
    seed: int = 0

    def cips(self) -> CIPSConfig:
        return CIPSConfig("skip", self.res, self.hidden, self.style_dim, self.n_mlp, tuple(self.widths),
                          self.first_width, self.embedding())

    def embedding(self) -> WrappedEmbedding | None:
        if self.emb_cols <= 0:
            return None
        return WrappedEmbedding(self.emb_rows, self.emb_cols, -landscapes.TURN / 2, landscapes.TURN,
                                -EMB_HALF_H, EMB_HALF_H)


EMB_HALF_H = 2.0  # the embedding spans y in [-2, 2]: the zoom-out crops' extent

PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"res": 16, "hidden": 16, "style_dim": 32, "n_mlp": 2, "first_width": 32, "widths": (32, 32),
             "emb_rows": 8, "emb_cols": 16, "d_base": 16, "d_cap": 32, "batch": 8, "pano_h": 32, "pool": 16,
             "refresh": 1, "r1_every": 4},
    "cpu": {"first_width": 128, "widths": (128, 128, 128), "batch": 16, "d_cap": 128, "pool": 512, "refresh": 1},
    "gpu": {"batch": 64, "pool": 4096, "refresh": 8, "ema_kimg": 10.0},
    # the shipped model's widths at a CPU batch: fine-tuning from its weights (--init) on 2 cores
    "cpu-finetune": {"batch": 16, "pool": 512, "refresh": 1},
}


def flops_per_pixel(cfg: CIPSConfig) -> int:
    """Multiply-adds x 2 per output pixel of the synthesis network with a uniform style."""
    macs = 2 * cfg.hidden  # Fourier features
    prev = 2 * cfg.hidden
    macs += prev * cfg.first_width
    prev = cfg.first_width
    for c in cfg.widths:
        macs += prev * c + c * c + 3 * c
        prev = c
    return 2 * macs


# ---------------------------------------------------------------------------------------------- data
class PanoramaPool:
    """Panoramas on the training device, refreshed from a seeded stream; draws coordinate-shifted crops."""

    def __init__(self, cfg: TrainConfig, device: torch.device, workers: int, first_seed: int,
                 upload_every: int = 32) -> None:
        self.cfg = cfg
        max_span = (cfg.res - 1) * (2 if cfg.zoom_out_p > 0 else 1) + 1
        if max_span > cfg.pano_h:
            raise ValueError(f"panorama height {cfg.pano_h} is too small for {cfg.res}-pixel crops")
        width = landscapes.TURN_PIXELS
        self.stream = landscapes.PanoramaStream(first_seed, width, cfg.pano_h, workers)
        self.images = torch.empty(cfg.pool, cfg.pano_h, width, 3, dtype=torch.uint8, device=device)
        self.upload_every = upload_every if device.type == "cuda" else 1
        self._staged: list[np.ndarray] = []
        self._slot = 0
        for i in range(cfg.pool):
            self.images[i].copy_(torch.from_numpy(self.stream.get(block=True)))

    @property
    def next_seed(self) -> int:
        return self.stream.next_seed - len(self._staged)

    def refresh(self, n: int) -> int:
        """Queue up to n new panoramas (without waiting when workers render); upload them in batches."""
        got = 0
        for _ in range(n):
            img = self.stream.get(block=self.stream.workers == 0)
            if img is None:
                break
            self._staged.append(img)
            got += 1
        if len(self._staged) >= self.upload_every:
            k = len(self._staged)
            batch = torch.from_numpy(np.stack(self._staged))
            self._staged = []
            slots = (torch.arange(k) + self._slot) % self.cfg.pool
            dev = self.images.device
            if dev.type == "cuda":  # pinned + non_blocking: no device synchronisation
                batch, slots = batch.pin_memory(), slots.pin_memory()
            self.images[slots.to(dev, non_blocking=True)] = batch.to(dev, non_blocking=True)
            self._slot = (self._slot + k) % self.cfg.pool
        return got

    def close(self) -> None:
        self.stream.close()

    def crops(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """n random crops: images float [n, 3, res, res] in [-1, 1] and their frame coords [n, res, res, 2]."""
        return sample_crops(self.images, n, self.cfg, gen)


def sample_crops(pool: torch.Tensor, n: int, cfg: TrainConfig,
                 gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Crops of pool [N, Hp, Wp, 3] uint8 at integer pixel offsets (stride 1 or 2): exact point samples.

    The panoramas are one turn wide (Wp pixels = `landscapes.TURN`), so crops start anywhere along x and
    wrap around; coordinates continue past the right end (the scene and the generator are periodic).
    Scale-1 crops shift up to ``shift_y`` along y; stride-2 crops show 4 x 4 frame units (zoom 0.5).
    Random numbers come from ``gen``, which lives on the pool's device.
    """
    res, hp, wp, dev = cfg.res, pool.shape[1], pool.shape[2], pool.device

    def rand() -> torch.Tensor:
        return torch.rand(n, generator=gen, device=dev)

    idx = torch.randint(pool.shape[0], (n,), generator=gen, device=dev)
    stride = torch.where(rand() < cfg.zoom_out_p, 2, 1)
    span = (res - 1) * stride + 1
    x0 = (rand() * wp).long().clamp_max(wp - 1)
    lim = ((hp - span) / 2.0).clamp_max(cfg.shift_y / landscapes.SPACING)
    y0 = torch.round((hp - span) / 2.0 + (rand() * 2 - 1) * lim).long()
    flip = rand() < 0.5
    ar = torch.arange(res, device=dev)
    rows = y0[:, None] + ar[None] * stride[:, None]
    cols = x0[:, None] + ar[None] * stride[:, None]
    coords = torch.stack(torch.broadcast_tensors(
        ((cols - (wp - 1) / 2.0) * landscapes.SPACING)[:, None, :],
        ((rows - (hp - 1) / 2.0) * landscapes.SPACING)[:, :, None]), dim=-1).float()
    src_cols = torch.where(flip[:, None], cols.flip(1), cols) % wp  # mirrored scene, coordinates unchanged
    img = pool[idx[:, None, None], rows[:, :, None], src_cols[:, None, :]]
    return img.permute(0, 3, 1, 2).float() / 127.5 - 1.0, coords


# ---------------------------------------------------------------------------------------------- model
class Trainer:
    """Generator, discriminator, their optimisers and the EMA generator; one `step` per minibatch."""

    def __init__(self, cfg: TrainConfig, device: torch.device | str = "cpu") -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        torch.manual_seed(cfg.seed)
        self.g = CIPSNetwork(cfg.cips()).to(self.device)
        self.g_ema = copy.deepcopy(self.g).eval().requires_grad_(False)
        self.d = Discriminator(cfg.res, cfg.d_base, cfg.d_cap, 5 if cfg.d_coords else 3).to(self.device)
        self.g_opt = torch.optim.Adam(self.g.parameters(), lr=cfg.lr, betas=(0.0, 0.99), eps=1e-8)
        c = cfg.r1_every / (cfg.r1_every + 1)  # lazy regularisation: StyleGAN2's optimiser correction
        self.d_opt = torch.optim.Adam(self.d.parameters(), lr=cfg.lr * c, betas=(0.0, 0.99**c), eps=1e-8)
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.seed + 1)
        self.step_count = 0
        self.nimg = 0

    def z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.style_dim, generator=self.gen, device=self.device)

    def d_input(self, img: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        if not self.cfg.d_coords:
            return img
        return torch.cat([img, coords.permute(0, 3, 1, 2) * 0.5], dim=1)

    def generate(self, coords: torch.Tensor, z: torch.Tensor, ema: bool = False) -> torch.Tensor:
        net = self.g_ema if ema else self.g
        return net(coords, net.mapping(z))

    def g_loss(self, coords: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        fake = self.generate(coords, z)
        return F.softplus(-self.d(self.d_input(fake, coords))).mean()

    def d_loss(self, real: torch.Tensor, real_coords: torch.Tensor, fake: torch.Tensor,
               fake_coords: torch.Tensor) -> torch.Tensor:
        return (F.softplus(self.d(self.d_input(fake, fake_coords))).mean()
                + F.softplus(-self.d(self.d_input(real, real_coords))).mean())

    def r1(self, real: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        real = real.detach().requires_grad_(True)
        logits = self.d(self.d_input(real, coords))
        (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
        return grad.square().sum(dim=(1, 2, 3)).mean()

    def step(self, real: torch.Tensor, real_coords: torch.Tensor,
             fake_coords: torch.Tensor) -> dict[str, torch.Tensor]:
        """One generator step, one discriminator step, R1 every r1_every steps, EMA update.

        Returns the detached losses as tensors (reading them back would synchronise the device).
        """
        cfg, b = self.cfg, real.shape[0]
        self.d.requires_grad_(False)
        g_loss = self.g_loss(fake_coords, self.z(b))
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        if cfg.emb_cols > 0:
            with torch.no_grad():
                self.g.snap_periodic()
        self.d.requires_grad_(True)
        with torch.no_grad():
            fake = self.generate(fake_coords, self.z(b))
        d_loss = self.d_loss(real, real_coords, fake, fake_coords)
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        out = {"g": g_loss.detach(), "d": d_loss.detach()}
        if self.step_count % cfg.r1_every == 0:
            r1 = self.r1(real, real_coords)
            self.d_opt.zero_grad(set_to_none=True)
            (r1 * (cfg.r1_gamma / 2 * cfg.r1_every)).backward()
            self.d_opt.step()
            out["r1"] = r1.detach()
        self.step_count += 1
        self.nimg += b
        self.update_ema(b)
        return out

    @torch.no_grad()
    def update_ema(self, batch: int) -> None:
        half = min(self.cfg.ema_kimg * 1000, self.nimg * self.cfg.ema_rampup)
        beta = 0.5 ** (batch / max(half, 1e-8))
        for pe, p in zip(self.g_ema.parameters(), self.g.parameters(), strict=True):
            pe.lerp_(p, 1.0 - beta)

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, Any]:
        return {"config": _config_dict(self.cfg), "g": self.g.state_dict(), "g_ema": self.g_ema.state_dict(),
                "d": self.d.state_dict(), "g_opt": self.g_opt.state_dict(), "d_opt": self.d_opt.state_dict(),
                "gen": self.gen.get_state(), "step": self.step_count, "nimg": self.nimg}

    def load_state(self, st: dict[str, Any]) -> None:
        self.g.load_state_dict(st["g"])
        self.g_ema.load_state_dict(st["g_ema"])
        self.d.load_state_dict(st["d"])
        self.g_opt.load_state_dict(st["g_opt"])
        self.d_opt.load_state_dict(st["d_opt"])
        self.step_count, self.nimg = int(st["step"]), int(st["nimg"])
        try:
            self.gen.set_state(st["gen"])
        except RuntimeError:  # saved on another device type: continue with a fresh, step-dependent stream
            self.gen.manual_seed(self.cfg.seed + 1 + self.step_count)


@torch.no_grad()
def warm_start(net: CIPSNetwork, sd: dict[str, torch.Tensor]) -> list[str]:
    """Start ``net`` (a wrapped-embedding generator) from another CIPS generator's weights ``sd``.

    Tensors of equal shape are copied; an official frame embedding (S x S over [-1, 1]^2) is spread over the
    turn by mirrored tiling (period 4 frame units in x and y, so it is continuous and wraps with the turn);
    the Fourier x-frequencies are then rounded onto the turn's lattice. Returns the keys left as initialised.
    """
    from engine.models.cips import sample_border_bilinear

    own = net.state_dict()
    skipped = []
    for k, v in sd.items():
        if k in own and own[k].shape == v.shape and k != "emb.input":
            own[k].copy_(v)
        elif k != "emb.input":
            skipped.append(k)
    wr, emb = net.cfg.wrapped, sd.get("emb.input")
    if wr is not None and emb is not None and emb.ndim == 4 and emb.shape[2] == emb.shape[3] \
            and emb.shape[1] == own["emb.input"].shape[1]:
        xs = wr.x0 + (torch.arange(wr.cols) + 0.5) * (wr.period / wr.cols)
        ys = wr.y0 + (torch.arange(wr.rows) + 0.5) * ((wr.y1 - wr.y0) / wr.rows)

        def fold(t: torch.Tensor) -> torch.Tensor:  # triangle wave: [-1, 1] and its mirror images
            u = torch.remainder(t + 1, 4.0)
            return torch.where(u <= 2, u - 1, 3 - u)

        xy = torch.stack(torch.meshgrid(fold(xs), fold(ys), indexing="xy"), dim=-1).reshape(-1, 2)
        table = emb[0].permute(1, 2, 0).reshape(-1, emb.shape[1]).float()
        own["emb.input"].copy_(sample_border_bilinear(table, emb.shape[2], xy).t().reshape(own["emb.input"].shape))
    else:
        skipped.append("emb.input")
    if wr is not None:
        net.snap_periodic()
    return skipped


def _config_dict(cfg: TrainConfig) -> dict[str, Any]:
    d = dataclasses.asdict(cfg)
    d["widths"] = list(cfg.widths)
    return d


def config_from_dict(d: dict[str, Any]) -> TrainConfig:
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    d = {k: v for k, v in d.items() if k in names}
    if "widths" in d:
        d["widths"] = tuple(int(v) for v in d["widths"])
    return TrainConfig(**d)


def save_checkpoint(path: Path, trainer: Trainer, extra: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".part")
    torch.save({**trainer.state(), **extra}, tmp)
    tmp.replace(path)


def export_weights(path: Path, trainer: Trainer, extra: dict[str, Any]) -> None:
    """The EMA generator as our native .safetensors (official CIPS key names, config in metadata)."""
    from engine.checkpoints.native import save_native

    cfg = trainer.cfg.cips()
    meta = {"train_config": _config_dict(trainer.cfg), "steps": trainer.step_count, "nimg": trainer.nimg,
            "flops_per_pixel": flops_per_pixel(cfg), "resolution": cfg.size, **extra}
    if cfg.wrapped is not None:
        meta["embedding"] = cfg.wrapped.to_json()
    save_native(path, trainer.g_ema.state_dict(), "cips-skip", meta)


# ---------------------------------------------------------------------------------------------- samples
def snapshot_grids(net: CIPSNetwork, z: torch.Tensor, res: int) -> np.ndarray:
    """uint8 image: identity-camera samples (top rows), zoom 0.5 (middle rows), a 4:1 panorama strip."""
    dev = next(net.parameters()).device
    lin = torch.linspace(-1.0, 1.0, res, device=dev)
    ident = torch.stack(torch.meshgrid(lin, lin, indexing="xy"), dim=-1)
    n = z.shape[0]
    with torch.no_grad():
        w = net.mapping(z.to(dev))
        a = net(ident.expand(n, -1, -1, -1), w)
        b = net((ident * 2.0).expand(n, -1, -1, -1), w)
        lx = torch.linspace(-4.0, 4.0, 4 * res, device=dev)
        pano = torch.stack(torch.meshgrid(lx, lin, indexing="xy"), dim=-1)
        c = torch.cat([net(pano[None], w[i:i + 1]) for i in range(min(n, 2))], dim=3)
    cols = 8
    def tile(x: torch.Tensor) -> torch.Tensor:
        rows = [torch.cat(list(x[i:i + cols]), dim=2) for i in range(0, x.shape[0] - cols + 1, cols)]
        return torch.cat(rows, dim=1)
    parts = [tile(a), tile(b)]
    strip = c[0]
    width = parts[0].shape[2]
    if strip.shape[2] >= width:
        parts.append(strip[:, :, :width])
    grid = torch.cat(parts, dim=1)
    return ((grid.clamp(-1, 1) + 1) * 127.5 + 0.5).byte().permute(1, 2, 0).cpu().numpy()


def save_png(path: Path, img: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(img).save(path, optimize=True)


# ---------------------------------------------------------------------------------------------- loop
@dataclass
class RunArgs:
    out: Path
    config: TrainConfig
    device: str = "cpu"
    minutes: float | None = None
    steps: int | None = None
    workers: int = 0
    snapshot_every: float = 120.0   # seconds between sample grids
    ckpt_every: float = 300.0       # seconds between checkpoints
    export: Path | None = None      # where the final EMA .safetensors goes (default out/generator.safetensors)
    init: Path | None = None        # a new run starts from these generator weights (`warm_start`)
    threads: int = 1
    log: list[str] = field(default_factory=list)


def train(a: RunArgs) -> Path:
    """Train (resuming from out/checkpoint.pt when present) until the step or time budget; returns the weights."""
    from tqdm import tqdm

    torch.set_num_threads(a.threads)
    a.out.mkdir(parents=True, exist_ok=True)
    ckpt = a.out / "checkpoint.pt"
    cfg, state = a.config, None
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        cfg = config_from_dict(state["config"])
    device = torch.device(a.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    t_start = time.time()
    trainer = Trainer(cfg, device)
    train_s = 0.0
    next_seed = TRAIN_SEED_BASE + cfg.seed * 10_000_000
    if state is not None:
        trainer.load_state(state)
        train_s, next_seed = float(state.get("train_s", 0.0)), int(state.get("next_seed", next_seed))
        print(f"resumed from {ckpt} at step {trainer.step_count} ({trainer.nimg} images)", flush=True)
    elif a.init is not None:
        from engine.checkpoints.native import load_state_dict

        sd = load_state_dict(a.init)
        for net in (trainer.g, trainer.g_ema):
            skipped = warm_start(net, sd)
        print(f"started from {a.init}" + (f" (kept initial: {', '.join(skipped)})" if skipped else ""), flush=True)
    pool = PanoramaPool(cfg, device, a.workers, next_seed)
    snap_z = torch.randn(32, cfg.style_dim, generator=torch.Generator().manual_seed(1234))
    weights = a.export or a.out / "generator.safetensors"
    log_path = a.out / "log.jsonl"
    budget = a.minutes * 60.0 if a.minutes is not None else math.inf
    total = a.steps if a.steps is not None else None
    bar = tqdm(total=total, initial=0, unit="step", dynamic_ncols=True, file=sys.stdout,
               mininterval=0.5 if sys.stdout.isatty() else 10.0)
    t_loop = time.time()
    print(f"setup {t_loop - t_start:.1f}s; G {sum(p.numel() for p in trainer.g.parameters())} params, "
          f"D {sum(p.numel() for p in trainer.d.parameters())} params", flush=True)
    last_snap = last_ckpt = t_loop
    done = 0
    stats: dict[str, float] = {}
    t_seg = t_loop  # start of the current timed segment (train_s accumulates across resumes)

    def finish_files(tag: str) -> None:
        nonlocal train_s, t_seg
        now = time.time()
        train_s += now - t_seg
        t_seg = now
        extra = {"train_s": train_s, "next_seed": pool.next_seed}
        save_checkpoint(ckpt, trainer, extra)
        export_weights(weights, trainer, {"train_s": round(train_s, 1), "device": a.device})
        save_png(a.out / f"samples_{tag}.png", snapshot_grids(trainer.g_ema, snap_z, cfg.res))

    try:
        while True:
            elapsed = time.time() - t_start
            if (total is not None and done >= total) or elapsed >= budget:
                break
            real, rc = pool.crops(cfg.batch, trainer.gen)
            _, fc = pool.crops(cfg.batch, trainer.gen)
            out = trainer.step(real, rc, fc)
            pool.refresh(cfg.refresh)
            done += 1
            bar.update(1)
            if done % 10 == 1:
                stats = {k: float(v) for k, v in out.items()}
                bar.set_postfix({k: f"{v:.3f}" for k, v in stats.items()}, refresh=False)
                with open(log_path, "a") as log:
                    log.write(json.dumps({"step": trainer.step_count, "nimg": trainer.nimg,
                                          "t": round(train_s + time.time() - t_seg, 1), **stats}) + "\n")
            now = time.time()
            if now - last_snap >= a.snapshot_every:
                last_snap = now
                save_png(a.out / f"samples_{trainer.step_count:07d}.png",
                         snapshot_grids(trainer.g_ema, snap_z, cfg.res))
            if now - last_ckpt >= a.ckpt_every:
                last_ckpt = now
                finish_files("latest")
    finally:
        bar.close()
        try:
            finish_files("final")  # first: the weights matter more than a clean shutdown
        finally:
            pool.close()
        rate = trainer.nimg / max(train_s, 1e-9)
        print(f"done: step {trainer.step_count}, {trainer.nimg} images, {train_s / 60:.1f} min of training "
              f"({rate:.0f} img/s overall); weights -> {weights}", flush=True)
    return weights

