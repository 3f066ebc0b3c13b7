"""Write `samples/`: the small generated batch the demo scans, with its ground truth.

    python tools/make_samples.py

Six questionnaires over all five paper colours, one file scanned in greyscale, every
scanner effect of `scanner synth`; at 150 dpi and a lower JPEG quality than the
generator's default so that the committed batch stays a few megabytes.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from scanner.synth import SynthOptions, generate
from scanner.synth.rates import Rates
from scanner.template import load_template

ROOT = Path(__file__).resolve().parent.parent
SEED = 9

if __name__ == "__main__":
    out = ROOT / "samples"
    shutil.rmtree(out, ignore_errors=True)
    rates = replace(Rates(), jpeg_quality=(40, 55), noise_sd=(0.2, 0.5), agency_paper=0.2)
    options = SynthOptions(per_file=1, greyscale_share=0.17, dpis=(150,), rates=rates)
    result = generate(load_template(ROOT / "templates" / "surestart.yaml"), out, count=6, seed=SEED, options=options)
    print(f"{result.questionnaires} questionnaires, {result.pages} pages in {len(result.files)} files")
