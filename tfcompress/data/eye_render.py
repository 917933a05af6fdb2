"""Procedural near-infrared eye images with exact pupil-centre labels.

A vectorised NumPy renderer: every image is a composite of skin, sclera, iris,
dark pupil, corneal glints and eyelids, with anti-aliased edges from analytic
coverage (approximate signed distance, a 1-pixel linear ramp), so the dark-pupil
intensity centroid of an unoccluded pupil equals the geometric centre label.

Coordinates: pixel ``(row i, col j)`` covers ``[j, j+1) x [i, i+1)``, so its centre
is at ``(j + 0.5, i + 0.5)``; labels are ``(x, y)`` in those units divided by
``size``. Scene parameters are drawn first (one vector per parameter), pixels are
then rendered in fixed-size chunks with per-chunk generators, so results depend
only on the seed, never on chunking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 100  # images rendered per vectorised block (arrays stay cache-sized, ~1.6 MB)


@dataclass(frozen=True)
class EyeConfig:
    """What the renderer varies and how much (the "hard cases")."""

    size: int = 64
    occlusion: float = 0.25  # probability that an eyelid covers part of the pupil
    max_occlusion: float = 0.45  # at most this fraction of the pupil height is covered
    blur: float = 0.3  # probability of defocus or motion blur
    noise: float = 0.03  # maximum sensor noise standard deviation
    glints: int = 2  # maximum number of corneal glints (0 = none)
    illumination: float = 0.6  # strength of gain changes, gradients and vignetting (0..1)
    off_axis: float = 35.0  # maximum off-axis viewing angle in degrees (elliptical pupils)
    texture: bool = True  # skin and iris texture, eyelashes
    eye_jitter: float = 0.06  # eye position jitter (camera slippage), fraction of the size
    min_pupil: float = 0.25  # pupil/iris radius ratio range: constricted..
    max_pupil: float = 0.6  # ..dilated


@dataclass
class EyeBatch:
    """Rendered images and their ground truth (all in pixel units)."""

    images: np.ndarray  # (N, S, S, 1) float32 in [0, 1]
    pupil: np.ndarray  # (N, 2) float32 pupil centre (x, y) in pixels
    glint: np.ndarray  # (N, 2) float32 first glint (x, y) in pixels (pupil centre if none)
    gaze: np.ndarray  # (N, 2) float32 gaze direction in [-1, 1]^2 (x right, y down)
    meta: dict[str, np.ndarray]  # per-image scene parameters (levels, radii, visible fraction, ...)


def sample_gaze(n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform gaze directions in [-1, 1]^2."""
    return rng.uniform(-1.0, 1.0, size=(n, 2)).astype(np.float64)


def _scene(gaze: np.ndarray, cfg: EyeConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Draw the per-image scene parameters (no pixels yet)."""
    n, s = len(gaze), float(cfg.size)
    u = lambda lo, hi: rng.uniform(lo, hi, size=n)  # noqa: E731
    p: dict[str, np.ndarray] = {}
    p["ex"] = s / 2 + u(-1.0, 1.0) * cfg.eye_jitter * s  # eye (opening) centre
    p["ey"] = s / 2 + u(-0.8, 0.8) * cfg.eye_jitter * s
    p["half_w"] = u(0.40, 0.47) * s  # eye opening half-width
    p["px"] = p["ex"] + gaze[:, 0] * 0.20 * s  # pupil centre follows gaze
    p["py"] = p["ey"] + gaze[:, 1] * 0.11 * s
    p["iris_r"] = u(0.165, 0.2) * s
    p["pupil_r"] = p["iris_r"] * u(cfg.min_pupil, cfg.max_pupil)
    # off-axis view: the pupil and iris shrink along the gaze direction
    tilt = np.clip(np.hypot(gaze[:, 0], gaze[:, 1]) / np.sqrt(2) + u(0.0, 0.35), 0.0, 1.0)
    p["ratio"] = np.cos(np.deg2rad(cfg.off_axis * tilt))
    p["theta"] = np.arctan2(gaze[:, 1] * 0.11, gaze[:, 0] * 0.20 + 1e-9) + u(-0.35, 0.35)
    # vertical half-extent of the rotated pupil ellipse (minor axis along theta)
    a, b = p["pupil_r"], p["pupil_r"] * p["ratio"]
    half_h = np.sqrt((b * np.sin(p["theta"])) ** 2 + (a * np.cos(p["theta"])) ** 2)
    p["pupil_half_h"] = half_h
    # eyelids: parabolas through the corners (ex +- half_w, ey); heights at the pupil column
    frac = 1.0 - ((p["px"] - p["ex"]) / p["half_w"]) ** 2
    occl = rng.random(n) < cfg.occlusion
    lower = rng.random(n) < 0.3  # share of occlusions made by the lower lid
    cover = u(0.08, 1.0) * cfg.max_occlusion  # covered fraction of the pupil height
    # upper lid edge at the pupil column: clear of the pupil, or covering `cover` of it
    up_margin, lo_margin = u(1.0, 1.0 + 0.12 * s), u(1.0, 1.0 + 0.07 * s)
    up_clear = p["py"] - half_h - up_margin
    up_occl = p["py"] - half_h + cover * 2 * half_h
    lo_clear = p["py"] + half_h + lo_margin
    lo_occl = p["py"] + half_h - cover * 2 * half_h
    # a clear lid must stay clear over the pupil's whole width: add the lid's drop
    # (slope and curvature of the parabola) across the pupil's horizontal half-width
    half_x = np.sqrt((a * np.sin(p["theta"])) ** 2 + (b * np.cos(p["theta"])) ** 2)
    t = np.abs(p["px"] - p["ex"]) / p["half_w"]
    for _ in range(3):
        h_up, h_lo = (p["ey"] - up_clear) / frac, (lo_clear - p["ey"]) / frac
        drop = (2 * t * half_x + half_x**2 / p["half_w"]) / p["half_w"]
        up_clear = p["py"] - half_h - up_margin - h_up * drop
        lo_clear = p["py"] + half_h + lo_margin + h_lo * drop
    up_at = np.where(occl & ~lower, up_occl, up_clear)
    lo_at = np.where(occl & lower, lo_occl, lo_clear)
    p["lid_up"] = (p["ey"] - up_at) / frac  # upper lid peak height above ey
    p["lid_lo"] = (lo_at - p["ey"]) / frac
    p["occluded"] = occl.astype(np.float64)
    # intensities (before illumination): dark pupil < iris < skin/sclera < glints
    p["skin"] = u(0.45, 0.68)
    p["sclera"] = np.clip(p["skin"] + u(0.08, 0.25), 0, 0.92)
    p["iris"] = u(0.24, 0.42)
    p["pupil"] = u(0.02, 0.1)
    p["glint_level"] = u(0.92, 1.0)
    px_scale = s / 64.0  # sizes given in pixels at 64x64 scale with the image
    p["glint_sigma"] = u(0.45, 0.9) * px_scale
    n_glints = rng.integers(1, max(cfg.glints, 1) + 1, size=n) if cfg.glints > 0 else np.zeros(n, int)
    p["n_glints"] = n_glints.astype(np.float64)
    # glints: reflections of two LEDs on the cornea, moving at ~45% of the pupil motion
    base_x = p["ex"] + 0.45 * (p["px"] - p["ex"])
    base_y = p["ey"] + 0.45 * (p["py"] - p["ey"])
    spread = p["iris_r"] * u(0.25, 0.45)
    p["g1x"] = base_x - spread + u(-1, 1) * px_scale
    p["g1y"] = base_y + p["iris_r"] * u(-0.1, 0.35)
    p["g2x"] = base_x + spread + u(-1, 1) * px_scale
    p["g2y"] = p["g1y"] + u(-1, 1) * px_scale
    # illumination: gain, linear gradient, vignetting
    k = cfg.illumination
    p["gain"] = 1.0 + k * u(-0.3, 0.15)
    ang = u(0, 2 * np.pi)
    p["grad_x"] = np.cos(ang) * k * u(0, 0.35) / s
    p["grad_y"] = np.sin(ang) * k * u(0, 0.35) / s
    p["vignette"] = k * u(0.0, 0.35)
    # optics: base PSF for all, defocus (isotropic) or motion (anisotropic) for some
    base = u(0.25, 0.5) * px_scale
    blurred = rng.random(n) < cfg.blur
    motion = rng.random(n) < 0.5
    strength = u(0.5, 1.3) * px_scale
    p["blur_x"] = np.where(blurred, np.where(motion, strength * u(1.0, 1.6), strength), base)
    p["blur_y"] = np.where(blurred, np.where(motion, strength * u(0.3, 0.7), strength), base)
    swap = rng.random(n) < 0.5
    p["blur_x"], p["blur_y"] = np.where(swap, p["blur_y"], p["blur_x"]), np.where(swap, p["blur_x"], p["blur_y"])
    p["noise"] = u(0.2, 1.0) * cfg.noise
    p["lash_width"] = u(1.0, 2.5) * s / 64
    p["lash_level"] = u(0.1, 0.3) if cfg.texture else np.zeros(n)
    p["iris_freq"] = rng.integers(5, 17, size=n).astype(np.float64)
    p["iris_phase"] = u(0, 2 * np.pi)
    return p


def _ellipse_coverage(X, Y, cx, cy, a, b, theta):  # type: ignore[no-untyped-def]
    """Anti-aliased coverage of a rotated ellipse (semi-axes a along theta, b across)."""
    dx, dy = X - cx, Y - cy
    c, s = np.cos(theta), np.sin(theta)
    u = dx * c + dy * s
    v = -dx * s + dy * c
    q = np.sqrt((u / a) ** 2 + (v / b) ** 2) + 1e-6
    grad = np.sqrt((u / a**2) ** 2 + (v / b**2) ** 2) / q
    dist = (q - 1.0) / np.maximum(grad, 1e-6)
    return np.clip(0.5 - dist, 0.0, 1.0)


def _lid_coverage(X, Y, ex, ey, half_w, height, sign):  # type: ignore[no-untyped-def]
    """Coverage of the side of a parabolic lid edge that is inside the eye opening.

    ``sign=-1``: upper lid (edge above ``ey``); ``sign=+1``: lower lid.
    """
    t = (X - ex) / half_w
    edge = ey + sign * height * (1.0 - t**2)
    slope = sign * height * (-2.0 * t / half_w)
    dist = sign * (edge - Y) / np.sqrt(1.0 + slope**2)  # > 0 inside the opening
    return np.clip(dist + 0.5, 0.0, 1.0), dist


def _blur_matrix(size: int, sigma: np.ndarray) -> np.ndarray:
    """Row-normalised Gaussian blur operators, one (S, S) matrix per sigma."""
    i = np.arange(size, dtype=np.float32)
    d2 = (i[None, :, None] - i[None, None, :]) ** 2
    k = np.exp(-d2 / (2.0 * np.maximum(sigma, 1e-3)[:, None, None].astype(np.float32) ** 2))
    return (k / k.sum(axis=2, keepdims=True)).astype(np.float32)


def _upsample_matrix(size: int, grid: int) -> np.ndarray:
    """(S, grid) bilinear interpolation matrix from a coarse grid to S pixels."""
    pos = (np.arange(size) + 0.5) / size * (grid - 1)
    lo = np.clip(np.floor(pos).astype(int), 0, grid - 2)
    w = pos - lo
    m = np.zeros((size, grid), np.float32)
    m[np.arange(size), lo] = 1 - w
    m[np.arange(size), lo + 1] = w
    return m


def _smooth_noise(rng: np.random.Generator, n: int, size: int, grid: int) -> np.ndarray:
    """Low-frequency noise fields in roughly [-1, 1], (n, S, S)."""
    g = rng.standard_normal((n, grid, grid), dtype=np.float32)
    m = _upsample_matrix(size, grid)
    return m[None] @ g @ m.T[None]


def _render_chunk(p: dict[str, np.ndarray], cfg: EyeConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Render one chunk; returns images (n, S, S) and the visible pupil fraction."""
    s = cfg.size
    n = len(p["px"])
    c = {k: v.astype(np.float32)[:, None, None] for k, v in p.items()}
    coords = np.arange(s, dtype=np.float32) + 0.5
    X, Y = coords[None, None, :], coords[None, :, None]

    # skin with texture and the eyelash band above the upper lid
    skin = np.broadcast_to(c["skin"], (n, s, s)).astype(np.float32)
    if cfg.texture:
        skin = skin * (1 + 0.08 * _smooth_noise(rng, n, s, 5) + 0.03 * _smooth_noise(rng, n, s, 17))
    up_cov, up_dist = _lid_coverage(X, Y, c["ex"], c["ey"], c["half_w"], c["lid_up"], -1.0)
    lo_cov, lo_dist = _lid_coverage(X, Y, c["ex"], c["ey"], c["half_w"], c["lid_lo"], 1.0)
    if cfg.texture:
        w = c["lash_width"]
        lash = 0.85 * np.exp(-0.5 * ((up_dist + 0.5 * w) / (0.45 * w)) ** 2)
        lash = lash + 0.35 * np.exp(-0.5 * ((lo_dist + 0.4 * w) / (0.35 * w)) ** 2)
        skin = skin + (c["lash_level"] - skin) * lash
    opening = up_cov * lo_cov

    # eye: sclera (darker towards the corners), iris (radial texture, dark limbus), pupil
    eye = c["sclera"] * (1 - 0.18 * ((X - c["ex"]) / c["half_w"]) ** 2)
    iris_a = c["iris_r"]
    iris_cov = _ellipse_coverage(X, Y, c["px"], c["py"], iris_a * c["ratio"], iris_a, c["theta"])
    iris = np.broadcast_to(c["iris"], (n, s, s)).astype(np.float32)
    if cfg.texture:
        phi = np.arctan2(Y - c["py"], X - c["px"])
        r = np.hypot(X - c["px"], Y - c["py"]) / iris_a
        streaks = np.cos(c["iris_freq"] * phi + c["iris_phase"]) * np.cos(2.3 * c["iris_freq"] * phi)
        limbus = np.clip((r - 0.75) / 0.25, 0, 1)
        iris = iris * (1 + 0.07 * streaks * np.clip(r, 0, 1) - 0.25 * limbus)
    eye = eye + (iris - eye) * iris_cov
    pupil_cov = _ellipse_coverage(
        X, Y, c["px"], c["py"], c["pupil_r"] * c["ratio"], c["pupil_r"], c["theta"]
    )
    eye = eye + (c["pupil"] - eye) * pupil_cov
    for g in (1, 2):
        on = c["n_glints"] >= g
        d2 = (X - c[f"g{g}x"]) ** 2 + (Y - c[f"g{g}y"]) ** 2
        spot = np.where(on, np.exp(-0.5 * d2 / c["glint_sigma"] ** 2), 0.0)
        eye = eye + (c["glint_level"] - eye) * spot
    img = skin + (eye - skin) * opening
    visible = (pupil_cov * opening).sum(axis=(1, 2)) / np.maximum(pupil_cov.sum(axis=(1, 2)), 1e-6)

    # illumination: gain, gradient, vignetting
    if cfg.illumination > 0:
        mid = s / 2
        shade = c["gain"] * (1 + c["grad_x"] * (X - mid) + c["grad_y"] * (Y - mid))
        shade = shade * (1 - c["vignette"] * ((X - mid) ** 2 + (Y - mid) ** 2) / (2 * mid**2))
        img = img * shade

    # optics: separable Gaussian PSF (defocus or motion blur), then sensor noise + 8-bit ADC
    img = _blur_matrix(s, p["blur_y"]) @ img.astype(np.float32) @ _blur_matrix(s, p["blur_x"]).transpose(0, 2, 1)
    if cfg.noise > 0:
        sigma = c["noise"] * np.sqrt(0.3 + np.clip(img, 0, 1))  # shot + read noise
        img = img + sigma * rng.standard_normal(img.shape, dtype=np.float32)
        img = np.round(np.clip(img, 0, 1) * 255) / 255
    return np.clip(img, 0.0, 1.0).astype(np.float32), visible.astype(np.float32)


def render_eyes(gaze: np.ndarray, cfg: EyeConfig, seed: int | np.random.SeedSequence) -> EyeBatch:
    """Render one image per gaze direction; deterministic for a given seed."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    scene_seq, *chunk_seqs = ss.spawn(1 + (len(gaze) + CHUNK - 1) // CHUNK)
    p = _scene(np.asarray(gaze, np.float64), cfg, np.random.default_rng(scene_seq))
    n = len(gaze)
    images = np.empty((n, cfg.size, cfg.size, 1), np.float32)
    visible = np.empty(n, np.float32)
    for k, cs in enumerate(chunk_seqs):
        sl = slice(k * CHUNK, min(n, (k + 1) * CHUNK))
        part = {key: v[sl] for key, v in p.items()}
        images[sl, :, :, 0], visible[sl] = _render_chunk(part, cfg, np.random.default_rng(cs))
    p["visible"] = visible.astype(np.float64)
    first_glint = np.where(p["n_glints"][:, None] >= 1, np.stack([p["g1x"], p["g1y"]], 1),
                           np.stack([p["px"], p["py"]], 1))
    return EyeBatch(
        images=images,
        pupil=np.stack([p["px"], p["py"]], axis=1).astype(np.float32),
        glint=first_glint.astype(np.float32),
        gaze=np.asarray(gaze, np.float32),
        meta=p,
    )
