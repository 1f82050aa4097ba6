"""Procedural landscapes (sky, sun/moon, clouds, ridges, water, vegetation): an infinite, seeded dataset.

A landscape is a function of (seed, x, y) in frame coordinates (x right, y down; the model's training
frame is [-1, 1]^2): every noise field is a hash of integer lattice points, so any grid of the same
seed shows the same scene (a crop of a panorama equals a render of that crop at the same spacing).

Every scene is one full turn along x: render(seed, x + TURN, y) == render(seed, x, y). Each x-frequency is a
whole number of cycles per turn (`_per_turn`), lattice indices wrap with their octave's period, and distances
to the sun are taken across the wrap, so crops anywhere along x, and 360-degree panoramas, are all real data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SPACING = 2.0 / 63.0  # pixel spacing of the 64 x 64 training frame: x = linspace(-1, 1, 64)
TURN = 8.0  # period of every scene along x, frame units (252 pixels at SPACING)
TURN_PIXELS = round(TURN / SPACING)

_M1, _M2 = np.uint32(0x7FEB352D), np.uint32(0x846CA68B)
_PRIMES = (np.uint32(0x8DA6B343), np.uint32(0xD8163841), np.uint32(0xCB1AB31F))


def _mix(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint32(16)
    h *= _M1
    h ^= h >> np.uint32(15)
    h *= _M2
    h ^= h >> np.uint32(16)
    return h


def _u32(a: np.ndarray | int) -> np.ndarray:
    return (np.asarray(a, dtype=np.int64) & 0xFFFFFFFF).astype(np.uint32)


def hash01(seed: int, *coords: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) float32 per integer lattice point (broadcast over ``coords``)."""
    shape = np.broadcast_shapes(*(np.shape(c) for c in coords))
    h = _mix(np.full(shape, _u32(seed * 0x9E3779B1 + 0x632BE5AB), dtype=np.uint32))
    for k, c in enumerate(coords):
        h ^= _u32(c) * _PRIMES[k]
        h = _mix(h)
    return (h >> np.uint32(8)).astype(np.float32) * np.float32(1.0 / (1 << 24))


def _smooth(t: np.ndarray) -> np.ndarray:
    return t * t * (3.0 - 2.0 * t)


def _per_turn(freq: float) -> float:
    """The nearest frequency (cycles per frame unit) with a whole number (>= 1) of cycles per TURN."""
    return max(1, round(freq * TURN)) / TURN


def _lattice_period(freq: float) -> int:
    """Lattice cells per TURN of a noise sampled at x * freq (freq from `_per_turn`)."""
    cells = freq * TURN
    if abs(cells - round(cells)) > 1e-6:
        raise ValueError(f"frequency {freq} is not a whole number of cycles per turn")
    return round(cells)


def _wrap(i: np.ndarray, period: int | None) -> np.ndarray:
    return i if period is None else np.mod(i, period)


def noise1(seed: int, x: np.ndarray, period: int | None = None) -> np.ndarray:
    """Smooth 1-D value noise in [-1, 1]; with ``period`` (lattice cells) it repeats every period."""
    i = np.floor(x)
    t = _smooth((x - i).astype(np.float32))
    i = i.astype(np.int64)
    a, b = hash01(seed, _wrap(i, period)), hash01(seed, _wrap(i + 1, period))
    return (a + (b - a) * t) * 2.0 - 1.0


def _x_fbm2(seed: int, xs: np.ndarray, ys: np.ndarray, fx: float, fy: float, octaves: int) -> np.ndarray:
    """fbm2 at fx (cycles per frame unit, from `_per_turn`) along x and fy along y, one turn periodic."""
    return fbm2(seed, xs * fx, ys * fy, octaves, period=_lattice_period(fx))


def _x_noise2(seed: int, xs: np.ndarray, ys: np.ndarray, f: float) -> np.ndarray:
    return noise2(seed, xs * f, ys * f, _lattice_period(f))


def wrapped_dx(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """a - b along x taken the short way round the turn, in [-TURN/2, TURN/2)."""
    return np.mod(np.asarray(a) - b + TURN / 2, TURN) - TURN / 2


def _x_noise1(seed: int, xs: np.ndarray, freq: float) -> np.ndarray:
    """noise1 along x at ``freq`` cycles per frame unit, one turn periodic."""
    return noise1(seed, xs * freq, _lattice_period(freq))


def fbm1(seed: int, x: np.ndarray, octaves: int, gain: float = 0.5, ridged: bool = False,
         period: int | None = None) -> np.ndarray:
    """Fractal sum of 1-D value noise (ridged: 1 - |n|, sharp peaks), normalised to about [-1, 1].

    ``period``: lattice cells of the first octave after which the sum repeats (octave o: period * 2^o).
    """
    total, norm, amp, freq = np.zeros_like(x, dtype=np.float32), 0.0, 1.0, 1.0
    for o in range(octaves):
        n = noise1(seed + 101 * o, x * freq + 17.3 * o, None if period is None else period << o)
        total += amp * ((1.0 - 2.0 * np.abs(n)) if ridged else n)
        norm += amp
        amp *= gain
        freq *= 2.0
    return total / norm


def noise2(seed: int, xs: np.ndarray, ys: np.ndarray, period: int | None = None) -> np.ndarray:
    """2-D value noise in [-1, 1] on the grid ys x xs (1-D axes) -> [H, W]; ``period``: lattice cells
    after which it repeats along x."""
    ix, iy = np.floor(xs), np.floor(ys)
    tx, ty = _smooth((xs - ix).astype(np.float32)), _smooth((ys - iy).astype(np.float32))
    ix, iy = ix.astype(np.int64), iy.astype(np.int64)
    x0, y0 = int(ix.min()), int(iy.min())
    lx = np.arange(x0, int(ix.max()) + 2)
    ly = np.arange(y0, int(iy.max()) + 2)
    table = hash01(seed, ly[:, None], _wrap(lx, period)[None, :])
    cx, cy = ix - x0, iy - y0
    top = table[cy][:, cx] + (table[cy][:, cx + 1] - table[cy][:, cx]) * tx[None, :]
    bot = table[cy + 1][:, cx] + (table[cy + 1][:, cx + 1] - table[cy + 1][:, cx]) * tx[None, :]
    return (top + (bot - top) * ty[:, None]) * 2.0 - 1.0


def fbm2(seed: int, xs: np.ndarray, ys: np.ndarray, octaves: int, gain: float = 0.5,
         period: int | None = None) -> np.ndarray:
    total: np.ndarray = np.zeros((ys.size, xs.size), np.float32)
    norm, amp, freq = 0.0, 1.0, 1.0
    for o in range(octaves):
        total += amp * noise2(seed + 211 * o, xs * freq + 5.1 * o, ys * freq - 3.7 * o,
                              None if period is None else period << o)
        norm += amp
        amp *= gain
        freq *= 2.0
    return np.asarray(total / norm, dtype=np.float32)


# ---------------------------------------------------------------------------------------------- palettes
# time of day: (sky top, sky at horizon, sun/moon colour, light on surfaces, probability)
_TIMES = {
    "day": ((0.20, 0.42, 0.85), (0.70, 0.82, 0.95), (1.00, 0.98, 0.90), (1.00, 0.97, 0.92), 0.30),
    "golden": ((0.28, 0.44, 0.76), (0.98, 0.80, 0.55), (1.00, 0.88, 0.60), (1.00, 0.82, 0.60), 0.14),
    "sunset": ((0.16, 0.17, 0.42), (0.98, 0.48, 0.22), (1.00, 0.72, 0.38), (0.95, 0.55, 0.38), 0.15),
    "dawn": ((0.33, 0.42, 0.70), (0.96, 0.72, 0.74), (1.00, 0.86, 0.80), (0.92, 0.78, 0.80), 0.10),
    "dusk": ((0.07, 0.07, 0.24), (0.55, 0.33, 0.50), (0.95, 0.55, 0.45), (0.45, 0.35, 0.50), 0.09),
    "night": ((0.01, 0.02, 0.07), (0.07, 0.11, 0.24), (0.95, 0.95, 0.86), (0.22, 0.26, 0.40), 0.10),
    "overcast": ((0.52, 0.55, 0.60), (0.78, 0.80, 0.82), (1.00, 1.00, 1.00), (0.80, 0.82, 0.85), 0.12),
}
_TIME_NAMES = tuple(_TIMES)
_TIME_P = np.array([v[4] for v in _TIMES.values()]) / sum(v[4] for v in _TIMES.values())
# biomes: (vegetation colour, rock colour, probability of snow caps)
_BIOMES = (
    ((0.20, 0.40, 0.14), (0.42, 0.42, 0.46), 0.5),   # temperate
    ((0.26, 0.52, 0.18), (0.45, 0.40, 0.36), 0.2),   # lush
    ((0.10, 0.26, 0.16), (0.36, 0.40, 0.46), 0.8),   # boreal
    ((0.62, 0.36, 0.10), (0.45, 0.38, 0.34), 0.3),   # autumn
    ((0.70, 0.55, 0.34), (0.66, 0.45, 0.30), 0.0),   # arid
    ((0.82, 0.86, 0.92), (0.50, 0.52, 0.58), 1.0),   # snowy
)


@dataclass(frozen=True)
class Landscape:
    """The random parameters of one scene (drawn from its seed by `Landscape.sample`)."""

    seed: int
    time: str
    sky_top: np.ndarray
    sky_horizon: np.ndarray
    sun_color: np.ndarray
    light: np.ndarray
    veg: np.ndarray
    rock: np.ndarray
    horizon: float
    sun: tuple[float, float, float]  # x, y, radius
    clouds: tuple[float, float]  # coverage threshold, horizontal scale
    layers: tuple[tuple[float, float, float, float], ...]  # (base y, amplitude, frequency, snow line)
    water: bool
    trees: int  # 0 none, 1 conifers, 2 round trees
    haze: float

    @staticmethod
    def sample(seed: int) -> Landscape:
        rng = np.random.default_rng([seed, 0x1A4D])
        time = _TIME_NAMES[rng.choice(len(_TIME_NAMES), p=_TIME_P)]
        top, hor, sun_c, light = _palette(rng, time)
        veg_c, rock_c, snow_p = _BIOMES[rng.integers(len(_BIOMES))]
        veg = _jitter(rng, veg_c, 0.06)
        rock = _jitter(rng, rock_c, 0.05)
        horizon = float(rng.uniform(-0.1, 0.45))
        sun_alt = rng.uniform(0.1, 0.5) if time in ("sunset", "dawn", "dusk", "golden") else rng.uniform(0.3, 1.4)
        sun = (float(rng.uniform(-3.5, 3.5)), horizon - float(sun_alt), float(rng.uniform(0.05, 0.13)))
        cover = float(rng.uniform(0.05, 0.75)) if time != "overcast" else float(rng.uniform(-0.3, 0.1))
        clouds = (cover, float(rng.uniform(0.5, 1.6)))
        n = int(rng.integers(2, 6))
        snowy = rng.random() < snow_p
        water = bool(rng.random() < 0.5)
        layers = []
        for k in range(n):
            t = k / max(n - 1, 1)  # 0 = farthest, 1 = nearest
            amp = float(rng.uniform(0.45, 1.1) * (1 - 0.8 * t))
            base = horizon + 0.02 + t * float(rng.uniform(0.15, 0.5))
            if water and k == n - 1:  # the near shore stays low so the lake shows
                base = horizon + float(rng.uniform(0.5, 1.1))
            freq = _per_turn(float(rng.uniform(0.5, 1.1) * (1 + 1.5 * t)))
            snow = base - amp * float(rng.uniform(0.55, 0.8)) if snowy and t < 0.6 else -99.0
            layers.append((base, amp, freq, snow))
        trees = int(rng.choice(3, p=[0.3, 0.4, 0.3]))
        haze = float(rng.uniform(0.15, 0.6))
        return Landscape(seed, time, top, hor, sun_c, light, veg, rock, horizon, sun, clouds, tuple(layers),
                         water, trees, haze)


def _jitter(rng: np.random.Generator, c: Sequence[float], amount: float) -> np.ndarray:
    base = np.asarray(c, np.float32)
    return np.clip(base * rng.uniform(0.85, 1.15) + rng.normal(0, amount, 3), 0.0, 1.0).astype(np.float32)


def _palette(rng: np.random.Generator, time: str) -> tuple[np.ndarray, ...]:
    top, hor, sun, light, _ = _TIMES[time]
    return _jitter(rng, top, 0.04), _jitter(rng, hor, 0.05), _jitter(rng, sun, 0.02), _jitter(rng, light, 0.03)


# ---------------------------------------------------------------------------------------------- render
def _mix3(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Blend colour fields/colours a -> b by weight t [..., None]."""
    return a + (b - a) * t[..., None]


def _sky(p: Landscape, xs: np.ndarray, ys: np.ndarray, night: bool) -> np.ndarray:
    """Sky gradient, sun or moon with glow, stars and clouds on the grid ys x xs -> [H, W, 3]."""
    t = np.clip((p.horizon - ys) / 1.8, 0.0, 1.0) ** 0.6
    img = np.broadcast_to(_mix3(p.sky_horizon, p.sky_top, t)[:, None, :], (ys.size, xs.size, 3)).copy()
    sx, sy, r = p.sun
    d = np.sqrt(wrapped_dx(xs[None, :], sx) ** 2 + (ys[:, None] - sy) ** 2)
    if p.time != "overcast":
        glow = np.exp(-d / (0.35 if not night else 0.12)) * (0.55 if not night else 0.25)
        img += glow[..., None] * p.sun_color
        disk = np.clip((r - d) / 0.012 + 0.5, 0.0, 1.0)
        img = _mix3(img, p.sun_color * (1.0 if not night else 0.92), disk)
    if night:
        cell = 28.0
        gx, gy = np.floor(xs * cell).astype(np.int64), np.floor(ys * cell).astype(np.int64)
        h = hash01(p.seed + 7, gy[:, None], _wrap(gx, _lattice_period(cell))[None, :])
        star = np.clip((h - 0.985) * 66.0, 0.0, 1.0) * np.clip((p.horizon - ys[:, None]) * 2.0, 0.0, 1.0)
        img += star[..., None] * 0.8
    cover, scale = p.clouds
    n = _x_fbm2(p.seed + 31, xs, ys, _per_turn(1.3 / scale), 4.0 / scale, 5)
    dens = np.clip((n - (0.45 - cover)) / 0.35, 0.0, 1.0)
    dens *= np.clip((p.horizon - ys[:, None]) * 2.5, 0.0, 1.0)  # thinner toward the horizon
    shade = np.clip(0.5 + 1.5 * _x_fbm2(p.seed + 47, xs, ys, _per_turn(2.6 / scale), 8.0 / scale, 3), 0.0, 1.0)
    lit = np.clip(p.sky_horizon * 0.45 + p.light * 0.55 + 0.25 * p.sun_color * (p.time in ("sunset", "dawn")), 0, 1)
    dark = p.sky_top * 0.55 + p.sky_horizon * 0.35
    cloud = _mix3(np.broadcast_to(dark, img.shape), np.broadcast_to(lit, img.shape), shade)
    return _mix3(img, cloud * (0.35 if night else 1.0), dens * (0.85 if night else 0.95))


def _ridge(p: Landscape, k: int, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top of ridge layer k as y(x) (smaller = higher): (with trees, bare smooth profile)."""
    base, amp, freq, _ = p.layers[k]
    seed = p.seed * 16 + k
    env = 0.25 + 0.75 * (0.5 + 0.5 * _x_noise1(seed + 3, xs, _per_turn(0.4 * freq))) ** 1.3
    far = k / max(len(p.layers) - 1, 1) < 0.5
    shape = 0.5 + 0.5 * fbm1(seed, xs * freq, 6, 0.5, ridged=far, period=_lattice_period(freq))
    top = base - amp * env * shape
    if k == len(p.layers) - 1 and p.trees:  # nearest layer: a tree line on its crest
        f = 7.0
        cell = np.floor(xs * f)
        frac = xs * f - cell
        ci = _wrap(cell.astype(np.int64), _lattice_period(f))
        height = (0.06 + 0.1 * hash01(seed + 9, ci)) * (hash01(seed + 11, ci) < 0.85)
        prof = 1.0 - np.abs(2.0 * frac - 1.0) if p.trees == 1 else np.sqrt(np.clip(1 - (2 * frac - 1) ** 2, 0, 1))
        band = _x_noise1(seed + 12, xs, 0.75) > -0.2  # woods come in stretches
        return top - height * prof * band, top
    return top, top


def _land(p: Landscape, img: np.ndarray, xs: np.ndarray, ys: np.ndarray, layers: range,
          floor_y: float | None) -> np.ndarray:
    """Paint ridge layers (far to near) over img; with ``floor_y`` the layers end at the water line."""
    n = len(p.layers)
    haze_c = p.sky_horizon
    gy = ys[:, None]
    for k in layers:
        t = k / max(n - 1, 1)
        top, bare = _ridge(p, k, xs)
        inside = gy >= top[None, :]
        if floor_y is not None:
            inside &= gy <= floor_y
        if not inside.any():
            continue
        base = _mix3(p.rock, p.veg, np.asarray(t**1.3, np.float32)) * p.light
        below = gy - bare[None, :]
        depth = np.clip(below / (0.25 + 0.5 * t), 0.0, 1.0)
        fk = p.layers[k][2]
        smooth = p.layers[k][0] - p.layers[k][1] * (0.5 + 0.5 * fbm1(p.seed * 16 + k, xs * fk, 3,
                                                                       period=_lattice_period(fk)))
        slope = np.gradient(smooth, xs) if xs.size > 1 else np.zeros_like(smooth)
        side = np.clip(0.5 - 0.8 * slope * np.sign(wrapped_dx(p.sun[0], xs)), 0.0, 1.0)[None, :]
        side = 0.5 + (side - 0.5) * np.exp(-np.clip(below, 0, None) / 0.35)  # faces lit near the crest only
        if k == n - 1:  # ground: fields in horizontal strips, darker toward the viewer
            tex = _x_fbm2(p.seed * 16 + k + 5, xs, ys, 3.0, 14.0, 4)
            bright = (0.8 + 0.25 * tex) * (1.0 - 0.3 * np.clip((gy - bare[None, :]) / 1.5, 0, 1))
        else:
            f = _per_turn(5 + 6 * t)
            tex = _x_fbm2(p.seed * 16 + k + 5, xs, ys, f, f, 4)
            bright = (0.6 + 0.55 * side) * (1.0 - 0.2 * depth * t) * (1.0 + 0.2 * tex)
        col = base * bright[..., None]
        if k == n - 1 and p.trees:
            wood = (gy < bare[None, :] + 0.05) & inside
            shade = 0.55 + 0.15 * _x_noise2(p.seed + 19, xs, ys, 20.0)
            col = np.where(wood[..., None], p.veg * p.light * 0.6 * shade[..., None], col)
        snow = p.layers[k][3]
        if snow > -50:
            snow_edge = snow + 0.08 * _x_noise2(p.seed + 13 * k, xs, ys, 9.0)
            white = np.clip((snow_edge - gy) / 0.03, 0.0, 1.0)
            col = _mix3(col, (np.float32(0.93) * p.light * (0.7 + 0.45 * side[..., None])), white)
        fog = np.clip(p.haze * (1.0 - t) ** 1.5 + 0.4 * depth * (1.0 - t) * p.haze, 0.0, 0.9)
        col = _mix3(col, np.broadcast_to(haze_c, col.shape), fog)
        img = np.where(inside[..., None], col, img)
    return img


def render(seed: int, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The landscape of ``seed`` sampled at x = xs (columns) and y = ys (rows): uint8 [H, W, 3]."""
    xs = np.asarray(xs, np.float32)
    ys = np.asarray(ys, np.float32)
    p = Landscape.sample(seed)
    night = p.time == "night"
    n = len(p.layers)
    if not p.water:
        img = _land(p, _sky(p, xs, ys, night), xs, ys, range(n), None)
    else:
        wl = p.horizon + 0.02
        back = range(n - 1)
        img = _land(p, _sky(p, xs, ys, night), xs, ys, back, wl)
        rows = ys > wl
        if rows.any():
            depth = ys[rows] - wl
            # Mirror about the water line; ripples shift the mirrored samples sideways, more when near.
            my = wl - depth * (1.0 + 0.15 * noise1(p.seed + 77, ys[rows] * 40.0))
            ripple = 0.012 * (0.3 + 4.0 * depth) * noise1(p.seed + 78, ys[rows] * 55.0)
            step = float(xs[1] - xs[0]) if xs.size > 1 else SPACING
            pad = math.ceil(float(np.abs(ripple).max()) / step) + 1
            xw = np.concatenate([xs[0] - step * np.arange(pad, 0, -1, dtype=np.float32), xs,
                                 xs[-1] + step * np.arange(1, pad + 1, dtype=np.float32)])
            refl = _land(p, _sky(p, xw, my, night), xw, my, back, wl)
            shift = np.rint(ripple / step).astype(np.int64)
            cols = np.arange(xs.size)[None, :] + pad + shift[:, None]
            refl = np.take_along_axis(refl, cols[..., None], axis=1)
            water_c = p.sky_top * 0.35 + p.veg * 0.15
            fres = np.clip(0.9 - 1.4 * depth, 0.25, 0.9)[:, None]
            refl = _mix3(refl * 0.85, np.broadcast_to(water_c, refl.shape), 1.0 - fres)
            glitter = np.exp(-np.abs(wrapped_dx(xs[None, :], p.sun[0])) / (0.12 + 0.4 * depth[:, None]))
            sparkle = np.clip(noise2(p.seed + 79, xs * 30.0, ys[rows] * 90.0, _lattice_period(30.0)), 0.0, 1.0)
            if p.time != "overcast":
                refl += (glitter * sparkle * 0.6)[..., None] * p.sun_color
            img[rows] = refl
        img = _land(p, img, xs, ys, range(n - 1, n), None)
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def frame_axes(width: int, height: int, spacing: float = SPACING) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre axes of a width x height grid centred on the origin with the given spacing."""
    xs = (np.arange(width, dtype=np.float64) - (width - 1) / 2.0) * spacing
    ys = (np.arange(height, dtype=np.float64) - (height - 1) / 2.0) * spacing
    return xs.astype(np.float32), ys.astype(np.float32)


def render_frame(seed: int, res: int = 64) -> np.ndarray:
    """The training frame [-1, 1]^2 at res x res (the model's identity camera): uint8 [res, res, 3]."""
    axis = np.linspace(-1.0, 1.0, res, dtype=np.float32)
    return render(seed, axis, axis)


def render_panorama(seed: int, width: int, height: int, spacing: float = SPACING) -> np.ndarray:
    """A wide view centred on the frame's centre at the training frame's pixel spacing: uint8 [H, W, 3]."""
    xs, ys = frame_axes(width, height, spacing)
    return render(seed, xs, ys)


def _worker(out: Any, first_seed: int, stride: int, width: int, height: int) -> None:
    seed = first_seed
    while True:
        out.put(render_panorama(seed, width, height))
        seed += stride


class PanoramaStream:
    """Panoramas of seeds first_seed, first_seed + 1, ... in order (deterministic sequence).

    ``workers`` > 0 renders ahead in that many spawned processes (worker i renders the seeds
    first_seed + i + k * workers into its own bounded queue); ``get(block=False)`` then returns None
    instead of waiting when the next panorama is not ready yet.
    """

    def __init__(self, first_seed: int, width: int, height: int, workers: int = 0, ahead: int = 8) -> None:
        self.first_seed = self.next_seed = first_seed
        self.width, self.height, self.workers = width, height, workers
        self._procs: list[Any] = []
        self._queues: list[Any] = []
        if workers > 0:
            import multiprocessing as mp

            ctx = mp.get_context("spawn")  # never fork a process that may hold CUDA
            for i in range(workers):
                q = ctx.Queue(maxsize=ahead)
                p = ctx.Process(target=_worker, args=(q, first_seed + i, workers, width, height), daemon=True)
                p.start()
                self._queues.append(q)
                self._procs.append(p)

    def get(self, block: bool = True) -> np.ndarray | None:
        if not self._queues:
            img = render_panorama(self.next_seed, self.width, self.height)
        else:
            import queue

            q = self._queues[(self.next_seed - self.first_seed) % self.workers]
            try:
                img = q.get(block=block, timeout=600 if block else None)
            except queue.Empty:
                if block:
                    raise RuntimeError("panorama workers stopped answering") from None
                return None
        self.next_seed += 1
        return img

    def close(self) -> None:
        """Stop the workers without waiting on their pipes (a killed writer must not hang us)."""
        for p in self._procs:
            p.terminate()
        for q in self._queues:
            q.cancel_join_thread()
            q.close()
        for p in self._procs:
            p.join(timeout=2.0)
            if p.is_alive():
                p.kill()
        self._procs, self._queues = [], []
