"""ImageNet-pretrained ResNet-50 with a new head, for transfer learning (S1's baseline), as
declared in :mod:`actstudy.models.builtin.transfer`.

The weights are torchvision's ``ResNet50_Weights.IMAGENET1K_V1`` state dict, read from a file:
the ``weights`` option, else the torch hub cache (``torch.hub.get_dir()/checkpoints``), where
torchvision's own download puts it. Nothing is downloaded unless ``download=True``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
from torch import nn

from actstudy.activations import MakeAct
from actstudy.models.resnet import IMAGENET_DEPTHS, IMAGENET_WIDTHS, ResNet

IMAGENET_CLASSES = 1000


def imagenet_weights():
    """torchvision's weights entry (imported here: torchvision.models is slow to import)."""
    from torchvision.models import ResNet50_Weights

    return ResNet50_Weights.IMAGENET1K_V1


class TransferResNet(ResNet):
    """A ResNet whose frozen batch norms (no parameter requires grad) stay in inference mode,
    using the pretrained running statistics, as Keras runs frozen BatchNormalization layers."""

    freeze: str = "keras"
    trainable_layers: int = 0
    trainable_names: tuple[str, ...] = ()

    def describe(self) -> dict[str, object]:
        """For the run manifest's faithfulness: how the base was frozen, which layers train."""
        return {
            "freeze": self.freeze,
            "trainable_layers": self.trainable_layers,
            "trainable": list(self.trainable_names),
            "preprocessing": "imagenet mean/std (torchvision's weights), not Keras' caffe mode",
        }

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


def _state_dict(path: Path | None) -> dict[str, torch.Tensor]:
    """The weights from ``path``, or torchvision's download where it is None."""
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


def keras_layers(model: ResNet) -> list[tuple[str, nn.Module | None]]:
    """The layers of Keras' ``ResNet50(include_top=False)`` in ``base_model.layers`` order, by
    their Keras names, each with the module here that holds its weights (None for the
    parameter-free input, padding, pooling, ReLU and add layers): 175 layers, 106 of them
    convolutions and batch norms. Keras puts a block's shortcut convolution after its second
    ReLU and the shortcut's batch norm after the third convolution."""
    layers: list[tuple[str, nn.Module | None]] = [
        ("input_1", None),
        ("conv1_pad", None),
        ("conv1_conv", model.conv1),
        ("conv1_bn", model.bn1),
        ("conv1_relu", None),
        ("pool1_pad", None),
        ("pool1_pool", None),
    ]
    for stage, name in enumerate(model._stages, start=2):
        for index, block in enumerate(getattr(model, name), start=1):
            prefix = f"conv{stage}_block{index}"
            layers += [
                (f"{prefix}_1_conv", block.conv1),
                (f"{prefix}_1_bn", block.bn1),
                (f"{prefix}_1_relu", None),
                (f"{prefix}_2_conv", block.conv2),
                (f"{prefix}_2_bn", block.bn2),
                (f"{prefix}_2_relu", None),
            ]
            if block.downsample is None:
                layers += [(f"{prefix}_3_conv", block.conv3), (f"{prefix}_3_bn", block.bn3)]
            else:
                shortcut_conv, shortcut_bn = block.downsample
                layers += [
                    (f"{prefix}_0_conv", shortcut_conv),
                    (f"{prefix}_3_conv", block.conv3),
                    (f"{prefix}_0_bn", shortcut_bn),
                    (f"{prefix}_3_bn", block.bn3),
                ]
            layers += [(f"{prefix}_add", None), (f"{prefix}_out", None)]
    return layers


def resnet50_transfer(
    num_classes: int,
    in_channels: int,
    make_act: MakeAct,
    *,
    weights: Path | None,
    freeze: str,
    trainable_layers: int,
) -> TransferResNet:
    """ResNet-50 transfer as declared (and described) in :mod:`actstudy.models.builtin.transfer`,
    with the weights from the file ``weights`` (torchvision downloads them where it is None);
    ``freeze`` and ``trainable_layers`` checked there."""
    if in_channels != 3:
        raise ValueError(
            f"resnet50_transfer needs in_channels=3, not {in_channels}: its ImageNet weights "
            "are RGB; convert the images to 3 channels"
        )
    state = _state_dict(weights)
    made: list[nn.Module] = []

    def recording(role: str) -> nn.Module:
        module = make_act(role)
        made.append(module)
        return module

    block, depths = IMAGENET_DEPTHS["resnet50"]
    model = TransferResNet(block, depths, IMAGENET_WIDTHS, IMAGENET_CLASSES, 3, recording)
    if freeze == "keras":
        named = keras_layers(model)
    else:
        module_names = {id(module): name for name, module in model.named_modules()}
        named = [(module_names[id(module)], module) for module in base_layers(model)]
    _load(model, state, made)
    for _, layer in named[: len(named) - trainable_layers]:
        if layer is not None:
            layer.requires_grad_(False)
    model.freeze, model.trainable_layers = freeze, trainable_layers
    model.trainable_names = tuple(name for name, _ in named[len(named) - trainable_layers :])
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model.train()
