"""`train` subcommand: argparse wiring for `main.py train` (engine/training/train.py does the training)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_train_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``train`` on a main parser's subparsers; `run_train` executes the parsed arguments."""
    p = subparsers.add_parser(
        "train", help="train a CIPS-skip generator on procedural landscapes (resumes from OUT/checkpoint.pt)",
        description="Adversarial training of a small CIPS-skip generator on procedural landscape panoramas. "
                    "Reruns with the same --out resume from its checkpoint.")
    configure_parser(p)
    return p


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("runs/default"), help="run folder (checkpoint, samples, log)")
    p.add_argument("--preset", choices=("tiny", "cpu", "gpu", "cpu-finetune"), default="cpu",
                   help="model/batch size preset: tiny (tests), cpu (2 cores), gpu (the shipped model's widths), "
                        "cpu-finetune (the shipped model's widths at a CPU batch, for --init)")
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    p.add_argument("--minutes", type=float, default=None, help="wall-clock budget (setup included)")
    p.add_argument("--steps", type=int, default=None, help="number of steps in this invocation")
    p.add_argument("--workers", type=int, default=None,
                   help="processes rendering panoramas (default: 0 on CPU, cores - 2 on CUDA)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--gamma", type=float, default=None, help="R1 weight")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--pool", type=int, default=None, help="panoramas held in memory")
    p.add_argument("--export", type=Path, default=None, help="final EMA weights (.safetensors)")
    p.add_argument("--init", type=Path, default=None,
                   help="start a new run from these CIPS weights (.safetensors; an official square embedding is "
                        "spread over the turn by mirrored tiling); ignored when resuming")
    p.add_argument("--snapshot-every", type=float, default=120.0, help="seconds between sample grids")
    p.add_argument("--ckpt-every", type=float, default=300.0, help="seconds between checkpoints")


def run_train(args: argparse.Namespace) -> int:
    """Run training from parsed arguments; returns the exit code."""
    from engine.checkpoints import resolve_device
    from engine.training.train import PRESETS, RunArgs, TrainConfig, train

    if args.minutes is None and args.steps is None:
        print("train: give --minutes and/or --steps", file=sys.stderr)
        return 2
    try:
        device = resolve_device(args.device)
    except ValueError as e:
        print(f"train: {e}", file=sys.stderr)
        return 2
    over = dict(PRESETS[args.preset])
    for key, name in (("batch", "batch"), ("lr", "lr"), ("r1_gamma", "gamma"), ("seed", "seed"),
                      ("pool", "pool")):
        if getattr(args, name) is not None:
            over[key] = getattr(args, name)
    workers = args.workers
    if workers is None:
        workers = max(1, min((os.cpu_count() or 2) - 2, 15)) if device.type == "cuda" else 0
    run = RunArgs(out=args.out, config=TrainConfig(**over), device=str(device), minutes=args.minutes,
                  steps=args.steps, workers=workers, snapshot_every=args.snapshot_every,
                  ckpt_every=args.ckpt_every, export=args.export, threads=args.threads,
                  init=args.init)
    train(run)
    return 0

