"""ImageNet-pretrained ResNet-50 with a new head, for transfer learning (S1's baseline).

The weights are torchvision's ``ResNet50_Weights.IMAGENET1K_V1`` state dict, read from a file:
the ``weights`` option, else the torch hub cache (``torch.hub.get_dir()/checkpoints``), where
torchvision's own download puts it. Nothing is downloaded unless ``download=True``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from urllib.parse import urlparse

import torch
from torch import nn

from actstudy.activations import MakeAct
from actstudy.models.registry import register_model
from actstudy.models.resnet import IMAGENET_DEPTHS, IMAGENET_WIDTHS, ROLES, ResNet

IMAGENET_CLASSES = 1000


def imagenet_weights():
    """torchvision's weights entry (imported here: torchvision.models is slow to import)."""
    from torchvision.models import ResNet50_Weights

    return ResNet50_Weights.IMAGENET1K_V1


def hub_weights_file() -> Path:
    """Where torchvision's download of the ImageNet ResNet-50 weights is cached."""
    name = Path(urlparse(imagenet_weights().url).path).name
    return Path(torch.hub.get_dir()) / "checkpoints" / name


class TransferResNet(ResNet):
    """A ResNet whose frozen batch norms (no parameter requires grad) stay in inference mode,
    using the pretrained running statistics, as Keras runs frozen BatchNormalization layers."""

    def train(self, mode: bool = True) -> TransferResNet:
        super().train(mode)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d) and not any(
                p.requires_grad for p in module.parameters()
            ):
                module.eval()
        return self


def _read(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, pickle.UnpicklingError) as error:
        raise ValueError(
            f"cannot read ResNet-50 weights from {path} ({error}); "
            "give a state dict saved with torch.save"
        ) from None
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict; save one")
    return state


def weights_file(weights: str | Path | None, download: bool) -> Path | None:
    """The file the ImageNet weights will be read from (None: torchvision downloads them).

    Raises FileNotFoundError with one sentence when they are nowhere and may not be downloaded.
    """
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"ResNet-50 weights file {path} does not exist; set the weights option to the "
                f"path of torchvision's ImageNet ResNet-50 state dict ({hub_weights_file().name})"
            )
        return path
    path = hub_weights_file()
    if path.is_file():
        return path
    if download:
        return None
    raise FileNotFoundError(
        f"no ImageNet ResNet-50 weights at {path}; put torchvision's {path.name} there, "
        "set the weights option to its path, or allow download=True"
    )


def check_weights(*, weights: str | Path | None, download: bool, **_: object) -> None:
    """Before any job: the weights are in the configured file or the torch hub cache."""
    weights_file(weights, download)


def _state_dict(weights: str | Path | None, download: bool) -> dict[str, torch.Tensor]:
    path = weights_file(weights, download)
    if path is None:
        return imagenet_weights().get_state_dict(progress=True)
    return _read(path)


def _load(model: ResNet, state: dict[str, torch.Tensor], activations: list[nn.Module]) -> None:
    """Load torchvision's keys strictly; only the activations' own parameters may be missing."""
    ids = {id(module) for module in activations}
    prefixes = tuple(
        f"{name}."
        for name, module in model.named_modules(remove_duplicate=False)
        if id(module) in ids
    )
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as error:
        detail = str(error).strip().splitlines()[-1].strip()
        raise ValueError(
            f"the weights do not fit ResNet-50 ({detail}); give torchvision's resnet50 state dict"
        ) from None
    missing = [key for key in missing if not key.startswith(prefixes)]
    if missing or unexpected:
        raise ValueError(
            "the weights are not a torchvision ResNet-50 state dict "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]}); give torchvision's file"
        )


def base_layers(model: ResNet) -> list[nn.Module]:
    """The pretrained layers that count for ``trainable_layers``: convolutions and batch norms
    of the base network (not the head, not activations), in torchvision's module order."""
    return [
        module
        for name, module in model.named_modules()
        if isinstance(module, nn.Conv2d | nn.BatchNorm2d) and not name.startswith("fc")
    ]


@register_model("resnet50_transfer", roles=ROLES, min_size=32, check=check_weights)
def resnet50_transfer(
    num_classes: int,
    in_channels: int,
    make_act: MakeAct,
    *,
    weights: str | Path | None = None,
    download: bool = False,
    trainable_layers: int = 3,
) -> TransferResNet:
    """ImageNet ResNet-50 (ImageNet stem), global average pooling and a new dense head ``fc``.

    S1 froze "all base layers except the last three". A *layer* here is one parameterised
    module of the base: a convolution or a batch norm (53 + 53 in ResNet-50), in torchvision's
    order; the last ``trainable_layers`` of them train, all others are frozen (their batch norms
    use the ImageNet running statistics). The default 3 leaves ``layer4.2.bn2``,
    ``layer4.2.conv3`` and ``layer4.2.bn3`` trainable. Keras's ``base_model.layers`` also count
    the parameter-free add and ReLU layers, so a Keras ``layers[:-3]`` there trains only the last
    batch norm: ``trainable_layers=1`` reproduces that. (torchvision's detection models use the
    same option name for whole stages; this is not that.) The head always trains, and so do any
    parameters of the activations, which the weights do not hold. Roles: ``"stem"``,
    ``"block"``; the weights were learnt with ReLU.
    """
    if in_channels != 3:
        raise ValueError(
            f"resnet50_transfer needs in_channels=3, not {in_channels}: its ImageNet weights "
            "are RGB; convert the images to 3 channels"
        )
    state = _state_dict(weights, download)
    made: list[nn.Module] = []

    def recording(role: str) -> nn.Module:
        module = make_act(role)
        made.append(module)
        return module

    block, depths = IMAGENET_DEPTHS["resnet50"]
    model = TransferResNet(block, depths, IMAGENET_WIDTHS, IMAGENET_CLASSES, 3, recording)
    layers = base_layers(model)
    if not 0 <= trainable_layers <= len(layers):
        raise ValueError(
            f"trainable_layers must lie between 0 and {len(layers)}, not {trainable_layers}"
        )
    _load(model, state, made)
    for layer in layers[: len(layers) - trainable_layers]:
        layer.requires_grad_(False)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model.train()
