"""GPU throughput: ResNet-20 on CIFAR-shaped data, and small runs sharing one GPU.

Each measurement is a ratio to a baseline measured in the same run on the same GPU:

1. **ResNet-20** (``actstudy.models.create("resnet20")``) with S2's recipe (batch 128, SGD with
   momentum 0.9 and weight decay 1e-4, a random choice of horizontal flip or pad-4 crop per
   image) on CIFAR-10-shaped data: 45,000 random 32×32×3 uint8 images in 10 classes (S2's
   hold-out training split of 50,000). Images per second of training:

   - ours: actstudy's training loop (``build_run`` + ``train_one_epoch``, as every run uses it):
     the uint8 images resident on the GPU (``DeviceData``), normalised and augmented per batch
     there, channels_last, bf16 autocast, ``torch.compile``; also eager (no compile), and
     compiled without augmentation (what the per-batch augmentation costs);
   - plain: a torchvision ``DataLoader`` loop: per-image torchvision transforms on CPU tensors
     in worker processes, pinned batches moved with ``.to(device)``; fp32, eager, PyTorch's
     default memory format and cuDNN settings.

   Each loop trains one warm-up epoch (compilation happens there), then ``--epochs`` measured
   ones; the table gives the median epoch.
2. **Packed small runs**: N training runs of one small model started at once on the GPU, each
   ``python -m actstudy train`` with 1 CPU thread (the command and threads of every workflow
   training job, which is how ``profiles/gpu-node`` packs them), against the same N runs one
   after another. Throughput is the runs' work over the wall time from the first start to the
   last end, start-up of each process included (the workflow pays it too). Per model: LeNet-5
   with S4's recipe on MNIST-shaped data (60,000 36×36 images, batch 50, Adam), the AFOS CNN
   with S3's on CIFAR-shaped data (batch 128, Adam, flip and crop).

Prints tables, then one line per target: ``target <name>: <measured> (goal <goal>) met|missed``.
Where CUDA is not available it says so in one sentence and exits with status 2.

    python benchmarks/gpu.py [--quick] [--epochs 3] [--runs 4] [--workers 8]
    python benchmarks/gpu.py --cpu-check   # the script itself at toy sizes on the CPU, no target
    python benchmarks/gpu.py --smoke       # tiny sizes, seconds: what the test suite runs

``--smoke`` runs every part at tiny sizes on CUDA where it is available; elsewhere on the CPU,
without the parts that only a GPU measures (the compiled ResNet-20 loop, on which the targets
are judged), which it names in one sentence; its target lines then say "not judged".
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
NO_CUDA = (
    "benchmarks/gpu.py measures training on a GPU and needs CUDA, which this machine does not "
    "have (torch.cuda.is_available() is False): run it on a machine with an NVIDIA GPU."
)
SMOKE_WITHOUT_CUDA = (
    "smoke without CUDA: the compiled ResNet-20 loop (bf16 autocast, channels_last, "
    "torch.compile) runs on a GPU only here, so it was left out and no target is judged; run "
    "`python benchmarks/gpu.py` on a machine with an NVIDIA GPU to measure."
)
GOAL_IMAGES = 25_000  # images/s of ResNet-20, H100-class GPU
GOAL_VS_PLAIN = 1.5
GOAL_PACKED = 2.0
S2_RECIPE = {
    "batch_size": 128,
    "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 1.0e-4},
    "augmentation": "flip_or_crop",
    "pad": 4,
}
# The small runs packed on one GPU: images (count, side, channels), model, recipe.
PACKS = {
    "lenet5": {  # S4: padded MNIST, batch 50, Adam 1e-4, the softmax-outputs loss
        "images": (60_000, 36, 1),
        "training": {
            "batch_size": 50,
            "optimizer": {"name": "adam", "lr": 1.0e-4},
            "loss": {"name": "softmax_outputs"},
        },
    },
    "afos_cnn": {  # S3: CIFAR-10, batch 128, Adam 1e-3, flip and crop
        "images": (50_000, 32, 3),
        "training": {
            "batch_size": 128,
            "optimizer": {"name": "adam", "lr": 1.0e-3},
            "augmentation": "flip_and_crop",
        },
    },
    "resnet20": {"images": (50_000, 32, 3), "training": S2_RECIPE},  # S2
}
ONE_THREAD = {  # what Snakemake sets for a job of 1 thread
    name: "1"
    for name in (
        "OMP_NUM_THREADS",
        "GOTO_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    )
}


def random_images(count: int, side: int, channels: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random uint8 images (N×H×W×C) and labels in 10 classes."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, side, side, channels), dtype=np.uint8)
    return images, rng.integers(0, 10, count).astype(np.int64)


def config_for(model: str, side: int, channels: int, training: dict, device: str) -> dict:
    """A one-run study of ``model`` on generated images (the arrays are written by this script)."""
    return {
        "study": "gpu_benchmark",
        "datasets": {"images": {"source": "synthetic_images", "size": side, "channels": channels}},
        "models": {model: {"name": model}},
        "activations": {"relu": "relu"},
        "evaluation": {"mode": "holdout", "val_fraction": 0.1, "seed": 42},
        "training": {"epochs": 1, **training, "device": device},
    }


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# --- 1. ResNet-20: our loop against a plain DataLoader loop ---------------------------------


class PlainImages(torch.utils.data.Dataset):
    """CPU tensors through per-image torchvision transforms, as a plain CIFAR loop does."""

    def __init__(self, x: np.ndarray, y: np.ndarray, mean: list[float], std: list[float]):
        from torchvision import transforms

        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        pad = S2_RECIPE["pad"]
        self.transform = transforms.Compose(
            [
                transforms.RandomChoice(
                    [
                        transforms.RandomHorizontalFlip(),
                        transforms.RandomCrop(x.shape[1], padding=pad),
                    ]
                ),
                transforms.Normalize(mean, std),
            ]
        )

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.x[index].permute(2, 0, 1).float().div_(255.0)
        return self.transform(image), self.y[index]


def plain_rates(
    x: np.ndarray, y: np.ndarray, device: torch.device, epochs: int, workers: int
) -> list[float]:
    """Images/s of each epoch of the plain loop (the first is the warm-up)."""
    from actstudy import models
    from actstudy.training.batches import channel_stats

    torch.backends.cudnn.benchmark = False  # PyTorch's defaults, whatever ran before
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = True
    mean, std = channel_stats(x)
    loader = torch.utils.data.DataLoader(
        PlainImages(x, y, mean, std),
        batch_size=S2_RECIPE["batch_size"],
        shuffle=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
    )
    torch.manual_seed(0)
    model = models.create("resnet20", num_classes=10, in_channels=x.shape[-1]).to(device)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=S2_RECIPE["optimizer"]["lr"],
        momentum=S2_RECIPE["optimizer"]["momentum"],
        weight_decay=S2_RECIPE["optimizer"]["weight_decay"],
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    rates = []
    for _ in range(1 + epochs):
        model.train()
        synchronize(device)
        tick = time.perf_counter()
        for inputs, labels in loader:
            inputs = inputs.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            loss = loss_fn(model(inputs), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        synchronize(device)
        rates.append(len(y) / (time.perf_counter() - tick))
    return rates


def our_rates(
    x: np.ndarray, y: np.ndarray, device: torch.device, epochs: int, compiled: bool
) -> dict[str, list[float]]:
    """Images/s of each epoch of actstudy's loop (the first is the warm-up); compiled, also of
    ``epochs`` more of the same warm run without augmentation."""
    from actstudy.study.grid import run_spec
    from actstudy.study.validate import validate_config
    from actstudy.training.batches import DeviceData, channel_stats
    from actstudy.training.device import setup_device
    from actstudy.training.loop import build_run, train_one_epoch

    training = {**S2_RECIPE, "compile": compiled, "precision": "auto", "channels_last": True}
    config = config_for("resnet20", x.shape[1], x.shape[-1], training, device.type)
    spec = run_spec(validate_config(config), "images", "resnet20", "relu", 0)
    recipe = spec["training"]
    setup = setup_device(recipe["device"], recipe["precision"], recipe["channels_last"], None)
    train = DeviceData.from_arrays(x, y, setup.device, channel_stats(x))
    run = build_run(spec, train, 10, setup)
    rates = {"augmented": [], "not augmented": []}
    for epoch in range(1 + epochs):
        rates["augmented"].append(len(train) / train_one_epoch(run, train, epoch)["train_seconds"])
    if compiled:
        recipe["augmentation"] = "none"  # the same compiled model, warm; nothing recompiles
        for epoch in range(1 + epochs, 1 + 2 * epochs):
            row = train_one_epoch(run, train, epoch)
            rates["not augmented"].append(len(train) / row["train_seconds"])
    return rates


def resnet20_part(args: argparse.Namespace, device: torch.device) -> dict[str, float | None]:
    """Median images/s per loop: plain, eager, compiled, compiled without augmentation."""
    x, y = random_images(args.images, 32, 3, seed=0)
    print(
        f"ResNet-20, {len(y):,} CIFAR-shaped training images, batch {S2_RECIPE['batch_size']}, "
        f"1 warm-up + {args.epochs} measured epoch(s) per loop (median); plain loop with "
        f"{args.workers} DataLoader worker(s)",
        flush=True,
    )
    medians: dict[str, float | None] = {}

    def measured(rates: list[float]) -> float:
        return statistics.median(rates[-args.epochs :])

    medians["plain"] = measured(plain_rates(x, y, device, args.epochs, args.workers))
    eager = our_rates(x, y, device, args.epochs, compiled=False)
    medians["ours, eager"] = measured(eager["augmented"])
    if args.smoke and device.type != "cuda":
        medians["ours, compiled"] = medians["ours, compiled, no augmentation"] = None
    else:
        medians.update(compiled_medians(x, y, device, args.epochs))
    print(f"{'loop':<36}{'images/s':>12}{'x plain':>10}")
    for name, rate in medians.items():
        if rate is None:
            print(f"{name:<36}{'not run' if args.smoke else 'failed':>12}")
        else:
            print(f"{name:<36}{rate:>12,.0f}{rate / medians['plain']:>10.2f}")
    return medians


def compiled_medians(
    x: np.ndarray, y: np.ndarray, device: torch.device, epochs: int
) -> dict[str, float | None]:
    """Median images/s of the compiled loop, with and without augmentation (None: failed)."""
    medians: dict[str, float | None] = {}
    try:
        compiled = our_rates(x, y, device, epochs, compiled=True)
    except Exception as error:  # a compiler missing on the machine, say: report, go on
        print(f"the compiled run failed: {type(error).__name__}: {error}".splitlines()[0])
        medians["ours, compiled"] = medians["ours, compiled, no augmentation"] = None
    else:
        medians["ours, compiled"] = statistics.median(compiled["augmented"][-epochs:])
        medians["ours, compiled, no augmentation"] = statistics.median(
            compiled["not augmented"][-epochs:]
        )
    return medians


# --- 2. Small runs packed on one GPU against one after another ---------------------------------


def prepare_pack(work: Path, model: str, count: int, runs: int, epochs: int, device: str) -> list:
    """Write the pack's data, folds and one spec per run (seeds 0..runs-1); return the commands."""
    from actstudy.data import write_prepared
    from actstudy.io import write_json
    from actstudy.study.grid import run_spec
    from actstudy.study.validate import validate_config
    from actstudy.training.folds import assign_folds, write_folds

    _, side, channels = PACKS[model]["images"]
    x, y = random_images(count, side, channels, seed=1)
    prepared, folds = work / "prepared", work / "folds.json"
    write_prepared(prepared, {"train": (x, y)}, [str(c) for c in range(10)], {"source": "-"})
    split = {"val_fraction": 0.1, "seed": 42, "repeats": 1, "test_fraction": 0.0}
    write_folds(folds, assign_folds(y, "holdout", **split), mode="holdout", **split)
    commands = []
    for seed in range(runs):
        training = {**PACKS[model]["training"], "epochs": epochs, "seed": seed}
        config = config_for(model, side, channels, training, device)
        spec = run_spec(validate_config(config), "images", model, "relu", 0)
        write_json(work / f"spec{seed}.json", spec)
        commands.append(
            [
                *(sys.executable, "-m", "actstudy", "train"),
                *("--spec", str(work / f"spec{seed}.json")),
                *("--prepared", str(prepared), "--folds", str(folds), "--threads", "1"),
            ]
        )
    return commands


def run_all(commands: list[list[str]], outs: list[Path], at_once: bool) -> float:
    """Run the commands at once or one after another; the wall seconds from first start to last
    end. Stops the benchmark with the failing run's log when one fails."""
    env = {
        **os.environ,
        **ONE_THREAD,
        "ACTSTUDY_RUN_CACHE": "off",  # the packed runs train what the sequential ones did
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")])
        ),
    }
    tick = time.perf_counter()
    pending = []
    for command, out in zip(commands, outs, strict=True):
        out.mkdir(parents=True)
        with open(out / "log.txt", "w") as log:
            process = subprocess.Popen(
                [*command, "--out", str(out)], stdout=log, stderr=log, env=env
            )
        pending.append((process, out))
        if not at_once:
            process.wait()
    for process, out in pending:
        if process.wait() != 0:
            tail = (out / "log.txt").read_text().strip().splitlines()[-5:]
            sys.exit(f"a packed training run failed ({out}):\n" + "\n".join(tail))
    return time.perf_counter() - tick


def run_seconds(outs: list[Path]) -> float:
    """Mean seconds inside ``train_run`` (the manifest's), start-up of the process excluded."""
    return statistics.mean(json.loads((o / "manifest.json").read_text())["seconds"] for o in outs)


def packed_part(args: argparse.Namespace, device: str) -> dict[str, float]:
    """Per model: sequential wall seconds ÷ packed wall seconds of the same runs."""
    print(
        f"\nPacked small runs: {args.runs} runs of {args.pack_epochs} epoch(s) each, at once on "
        "one device against one after another (each a `python -m actstudy train` process, "
        "1 thread)",
        flush=True,
    )
    # Warm the file cache and the bytecode of what a training process imports, for both modes.
    subprocess.run(
        [sys.executable, "-c", "import actstudy.cli, actstudy.training.loop"],
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    header = ["sequential s", "packed s", "speed-up", "run s alone", "run s packed"]
    print(f"{'model':<12}{'images':>9}" + "".join(f"{h:>14}" for h in header))
    ratios = {}
    for model in args.pack_models:
        count = args.pack_images or PACKS[model]["images"][0]
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            commands = prepare_pack(work, model, count, args.runs, args.pack_epochs, device)
            alone = [work / f"sequential{i}" for i in range(args.runs)]
            packed = [work / f"packed{i}" for i in range(args.runs)]
            sequential_s = run_all(commands, alone, at_once=False)
            packed_s = run_all(commands, packed, at_once=True)
            ratios[model] = sequential_s / packed_s
            cells = [sequential_s, packed_s, ratios[model], run_seconds(alone), run_seconds(packed)]
        print(f"{model:<12}{count:>9,}" + "".join(f"{c:>14.2f}" for c in cells), flush=True)
    return ratios


# --- targets ---------------------------------------------------------------------------------


def target(name: str, measured: float | None, goal: float, unit: str, note: str = "") -> str:
    if measured is None:
        return f"target {name}: failed (goal >= {goal:,}{unit}{note}) missed"
    verdict = "met" if measured >= goal else "missed"
    shown = f"{measured:,.0f}" if unit == " images/s" else f"{measured:.2f}"
    return f"target {name}: {shown}{unit} (goal >= {goal:,}{unit}{note}) {verdict}"


def unjudged(packed: dict[str, float]) -> list[str]:
    """The target lines of a smoke run without CUDA: named, not judged."""
    names = ["resnet20_images_per_second", "resnet20_vs_plain_loop"]
    names += [f"packed_{model}_vs_sequential" for model in packed]
    return [f"target {name}: not judged (needs CUDA) unjudged" for name in names]


def sizes(args: argparse.Namespace) -> None:
    """Fill in the sizes the options leave open: full, --quick, --cpu-check (toy) or --smoke."""
    toy, quick, smoke = args.cpu_check, args.quick, args.smoke
    args.epochs = args.epochs or (1 if toy or quick or smoke else 3)
    args.images = args.images or (128 if smoke else 512 if toy else 15_000 if quick else 45_000)
    args.pack_epochs = args.pack_epochs or (1 if toy or quick or smoke else 2)
    args.pack_images = args.pack_images or (
        128 if smoke else 512 if toy else 15_000 if quick else None
    )
    if toy or smoke:
        args.workers, args.runs = min(args.workers, 2), min(args.runs, 2)
    if smoke:
        args.pack_models = args.pack_models[:1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer images and epochs (~half)")
    parser.add_argument("--epochs", type=int, help="measured epochs per ResNet-20 loop (3)")
    parser.add_argument("--images", type=int, help="ResNet-20 training images (45,000)")
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    parser.add_argument("--runs", type=int, default=4, help="small runs in each pack")
    parser.add_argument("--pack-epochs", type=int, help="epochs of each small run (2)")
    parser.add_argument("--pack-images", type=int, help="images of each small run's set")
    parser.add_argument("--pack-models", default="lenet5,afos_cnn", help=f"of {','.join(PACKS)}")
    parser.add_argument(
        "--cpu-check", action="store_true", help="run every part at toy sizes on the CPU"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes; without CUDA, the parts a CPU can run"
    )
    args = parser.parse_args(argv)
    cuda = torch.cuda.is_available()
    if not (args.cpu_check or args.smoke or cuda):
        print(NO_CUDA, file=sys.stderr)
        return 2
    args.pack_models = [m.strip() for m in args.pack_models.split(",") if m.strip()]
    unknown = sorted(set(args.pack_models) - set(PACKS))
    if unknown:
        parser.error(f"--pack-models: unknown {', '.join(unknown)}; choose from {', '.join(PACKS)}")
    sizes(args)

    device = torch.device("cuda" if cuda and not args.cpu_check else "cpu")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"{name}, torch {torch.__version__}, {os.cpu_count()} CPUs", flush=True)
    started = time.perf_counter()
    images = resnet20_part(args, device)
    packed = packed_part(args, device.type)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.cpu_check:
        print("cpu check: every part ran; no target is judged on the CPU")
        return 0
    if device.type != "cuda":
        print(SMOKE_WITHOUT_CUDA)
        print("\n".join(unjudged(packed)))
        return 0
    best = images["ours, compiled"]
    note = ""
    if best is None:
        best, note = images["ours, eager"], "; eager: the compiled run failed"
    print(
        target("resnet20_images_per_second", best, GOAL_IMAGES, " images/s", "; H100-class" + note)
    )
    print(target("resnet20_vs_plain_loop", best / images["plain"], GOAL_VS_PLAIN, "x", note))
    for model, ratio in packed.items():
        print(target(f"packed_{model}_vs_sequential", ratio, GOAL_PACKED, "x"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
