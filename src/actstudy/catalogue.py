"""What is built in (or registered by plugins): every activation, model and dataset source with
its options and their defaults, the file that registers it and the paper it comes from; what
``actstudy list`` prints."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("activations", "models", "sources")

S1 = "Das, Imran & Nowkhal (2021), course report on LReLU in ResNet-50 (S1, docs/studies.md#s1)"
S2 = (
    "Pishchik (2023), Trainable Activations for Image Classification, "
    "doi:10.20944/preprints202301.0463.v1 (S2, docs/studies.md#s2)"
)
S3 = (
    "Rahman et al. (2024), Activation function optimization scheme for image classification, "
    "arXiv:2409.04915 (S3, docs/studies.md#s3)"
)
S4 = "Pan et al. (2019), A Combined Activation Function ..., ICVMEE 2019 (S4, docs/studies.md#s4)"
S5 = "Chakraborti & Chaudhuri (2024), DSReLU, arXiv:2408.09156 (S5, docs/studies.md#s5)"
HE_2016 = "He et al. (2016), Deep Residual Learning for Image Recognition, arXiv:1512.03385"
MNIST = "LeCun et al. (1998), Gradient-based learning applied to document recognition"
CIFAR = "Krizhevsky (2009), Learning Multiple Layers of Features from Tiny Images"

PAPERS: dict[str, str] = {
    # activations
    "relu": "Nair & Hinton (2010), Rectified Linear Units Improve Restricted Boltzmann Machines",
    "tanh": "classical",
    "sigmoid": "classical",
    "silu": "Hendrycks & Gimpel (2016), arXiv:1606.08415; as Swish: Ramachandran et al. (2017)",
    "mish": "Misra (2019), Mish, arXiv:1908.08681",
    "leaky_relu": "Maas, Hannun & Ng (2013), Rectifier Nonlinearities Improve ... Acoustic Models",
    "elu": "Clevert, Unterthiner & Hochreiter (2016), arXiv:1511.07289",
    "gelu": "Hendrycks & Gimpel (2016), Gaussian Error Linear Units, arXiv:1606.08415",
    "softplus": "Dugas et al. (2001), Incorporating Second-Order Functional Knowledge ...",
    "lrelu": S1,
    "coslu": S2,
    "delu": S2,
    "relun": S2,
    "eelu": S3,
    "eelu_pos": S3,
    "eelu_sq": S3,
    "erf_softplus": S3,
    "dsrelu": S5,
    # models
    "afos_cnn": S3,
    "alexnet": "Krizhevsky (2014), One weird trick for parallelizing CNNs, arXiv:1404.5997",
    "cct": "Hassani et al. (2021), Escaping the Big Data Paradigm with CCTs, arXiv:2104.05704",
    "lenet5": f"{MNIST}; S4's modified LeNet-5: {S4}",
    "mobilenet_v1": "Howard et al. (2017), MobileNets, arXiv:1704.04861",
    "mobilenet_v2": "Sandler et al. (2018), MobileNetV2, arXiv:1801.04381",
    **{f"resnet{d}": f"{HE_2016}, section 4.2 (CIFAR)" for d in (8, 14, 20, 26, 32, 44, 56, 110)},
    "resnet18": HE_2016,
    "resnet34": HE_2016,
    "resnet50": HE_2016,
    "resnet34_1d": f"{HE_2016}, in 1-D for ECG beats as in {S5}",
    "resnet50_transfer": f"{HE_2016}, torchvision's ImageNet weights; S1's baseline",
    "vgg16": "Simonyan & Zisserman (2015), Very Deep Convolutional Networks, arXiv:1409.1556",
    # dataset sources
    "mnist": MNIST,
    "fashion_mnist": "Xiao, Rasul & Vollgraf (2017), Fashion-MNIST, arXiv:1708.07747",
    "cifar10": CIFAR,
    "cifar100": CIFAR,
    "digits": "Alpaydin & Kaynak (1998), UCI Optical Recognition of Handwritten Digits",
    "fruits360": "Mureşan & Oltean (2018), Fruit recognition from images using deep learning",
    "mini_imagenet": "Vinyals et al. (2016), arXiv:1606.04080; split: Ravi & Larochelle (2017)",
    "mitdb": "Moody & Mark (2001), The impact of the MIT-BIH Arrhythmia Database",
    "mitbih_kaggle": "Kachuee, Fazeli & Sarrafzadeh (2018), ECG Heartbeat Classification",
    "synthetic_images": "none: generated data (tests and smoke variants)",
    "synthetic_signals": "none: generated data (tests and smoke variants)",
}


@dataclass(frozen=True)
class Item:
    """One registered name as ``actstudy list`` shows it."""

    name: str
    aliases: tuple[str, ...]
    summary: str
    options: dict[str, Any]
    details: str
    source_file: str
    paper: str


def _builder(kind: str, name: str) -> Callable[..., Any]:
    """The builder registered as ``name``, read from the registry itself (its docstring and
    signature): the registries' modules stay as they are, since each is code every run executes
    and editing one would make every run stale (:mod:`actstudy.run_code`)."""
    if kind == "activations":
        from actstudy.activations.registry import _ACTIVATIONS as registry
    elif kind == "models":
        from actstudy.models.registry import _MODELS as registry
    else:
        from actstudy.data.sources import _SOURCES as registry
    return registry.get(name).builder


def _summary(builder: Callable[..., Any]) -> str:
    """The first paragraph of the builder's docstring (its class's for a class), as plain text."""
    doc = inspect.getdoc(builder) or ""
    return " ".join(doc.split("\n\n")[0].split()).replace("``", "")


def _shown_file(path: str) -> str:
    from actstudy.run_code import display_name

    return display_name(Path(path).resolve())


def activations() -> list[Item]:
    from actstudy import activations as registry

    items = []
    groups: dict[Callable[..., Any], list[str]] = {}  # a builder → its names (aliases share it)
    for name in registry.names():
        groups.setdefault(_builder("activations", name), []).append(name)
    for builder, (name, *aliases) in groups.items():
        parameters = inspect.signature(builder).parameters.values()
        options = {
            p.name: p.default
            for p in parameters
            if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "inplace"
        }
        scope = registry.scope_of(name)
        items.append(
            Item(
                name,
                tuple(aliases),
                _summary(builder),
                options,
                f"scope: {scope}" + (" (one instance per network)" if scope == "network" else ""),
                _shown_file(registry.source_files(name)[0]),
                PAPERS.get(name, ""),
            )
        )
    return items


def models() -> list[Item]:
    from actstudy import models as registry

    items = []
    for name in registry.names():
        kind = "1-D signals" if registry.spatial_dims(name) == 1 else "images"
        items.append(
            Item(
                name,
                (),
                _summary(_builder("models", name)),
                registry.options(name),
                f"activation roles: {', '.join(registry.roles(name))}; input: {kind}",
                _shown_file(registry.source_file(name)),
                PAPERS.get(name, ""),
            )
        )
    return items


def sources() -> list[Item]:
    from actstudy.data import sources as registry

    items = []
    for name in registry.source_names():
        source, options = registry.resolved_options({"source": name})
        channels = source.channels if isinstance(source.channels, int) else "set by options"
        details = [f"channels: {channels}"] if source.channels is not None else []
        if source.classes is not None:
            details.append(f"classes: {source.classes}")
        details.append("1-D signals" if source.dims == 1 else "images")
        items.append(
            Item(
                name,
                (),
                _summary(_builder("sources", name)),
                options,
                "; ".join(details),
                _shown_file(registry.source_file(name)),
                PAPERS.get(name, ""),
            )
        )
    return items


def items(kind: str) -> list[Item]:
    """Every registered name of ``kind`` (one of :data:`KINDS`), sorted by name."""
    return {"activations": activations, "models": models, "sources": sources}[kind]()


def _value(value: Any) -> str:
    return "(required)" if value is inspect.Parameter.empty else repr(value)


def describe(item: Item) -> str:
    """An item as a few indented lines of text."""
    title = item.name + (f" (alias: {', '.join(item.aliases)})" if item.aliases else "")
    options = ", ".join(f"{k}={_value(v)}" for k, v in item.options.items()) or "none"
    lines = [
        f"{title}: {item.summary}" if item.summary else title,
        f"    options: {options}",
        f"    {item.details}",
        f"    file:    {item.source_file}",
    ]
    if item.paper:
        lines.append(f"    paper:   {item.paper}")
    return "\n".join(lines)
