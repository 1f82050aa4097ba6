"""info: a checkpoint's family, sizes, parameters, device, precisions and (periodic models) their turn."""

from __future__ import annotations

import argparse
import json

from cli.common import load_model


def run_info(args: argparse.Namespace) -> int:
    g = load_model(args)
    info = g.info
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"file:        {args.checkpoint}")
    print(f"family:      {info['family']}")
    print(f"resolution:  {info['resolution']} x {info['resolution']}")
    print(f"z_dim:       {info['z_dim']}")
    print(f"w_dim:       {info['w_dim']}")
    print(f"num_ws:      {info['num_ws']}")
    print(f"parameters:  {info['num_params']:,}")
    print(f"ablations:   {', '.join(info['ablations']) or 'none'}")
    print(f"device:      {info['device']} (--device {args.device})")
    from engine.precision import available

    print(f"precisions:  {', '.join(available(g.device))} (--precision; reduced ones are measured before use)")
    if info.get("period_x"):
        print(f"periodic:    along x, period {info['period_x']:g} frame units (a full turn: seamless panoramas)")
    emb = info.get("embedding")
    if emb:
        print(f"embedding:   {emb['rows']} x {emb['cols']} cells over x {emb['x0']:g} .. "
              f"{emb['x0'] + emb['period']:g} (wraps), y {emb['y0']:g} .. {emb['y1']:g} (clamped)")
    return 0
