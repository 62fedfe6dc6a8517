"""ImageNet-pretrained ResNet-50 with a new head, for transfer learning (S1's baseline); built by
:mod:`actstudy.models.transfer`.

The weights are torchvision's ``ResNet50_Weights.IMAGENET1K_V1`` state dict, read from a file:
the ``weights`` option, else the torch hub cache (``torch.hub.get_dir()/checkpoints``), where
torchvision's own download puts it. Nothing is downloaded unless ``download=True``. Where they
are is checked before any job, without importing torch.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from actstudy.models.builtin.resnet import ROLES
from actstudy.models.registry import register_model

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct

HUB_FILE = "resnet50-0676ba61.pth"
"""The file name of torchvision's weights URL (tested), known without importing torchvision: a
study's check for the weights must not wait seconds for it."""

IMAGENET_NORMALIZE = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
"""The mean and std (0–1 units, RGB) torchvision's ImageNet weights were trained with."""

LAYER_COUNTS = {"keras": 175, "modules": 106}
"""What ``freeze`` counts as a layer, and how many of them the base has (tested)."""


def hub_dir() -> Path:
    """``torch.hub.get_dir()``, worked out as torch does (``$TORCH_HOME/hub``, ``TORCH_HOME``
    defaulting to ``$XDG_CACHE_HOME/torch``, that to ``~/.cache/torch``) while torch is not
    imported; torch's own answer (which honours ``torch.hub.set_dir``) once it is."""
    if "torch" in sys.modules:
        return Path(sys.modules["torch"].hub.get_dir())
    cache = os.getenv("XDG_CACHE_HOME", "~/.cache")
    return Path(os.getenv("TORCH_HOME", os.path.join(cache, "torch"))).expanduser() / "hub"


def hub_weights_file() -> Path:
    """Where torchvision's download of the ImageNet ResNet-50 weights is cached."""
    return hub_dir() / "checkpoints" / HUB_FILE


def weights_file(weights: str | Path | None, download: bool) -> Path | None:
    """The file the ImageNet weights will be read from (None: torchvision downloads them).

    Raises FileNotFoundError with one sentence when they are nowhere and may not be downloaded.
    """
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"ResNet-50 weights file {path} does not exist; set the weights option to the "
                f"path of torchvision's ImageNet ResNet-50 state dict ({HUB_FILE})"
            )
        return path
    path = hub_weights_file()
    if path.is_file():
        return path
    if download:
        return None
    raise FileNotFoundError(
        f"no ImageNet ResNet-50 weights at {path}; put torchvision's {path.name} there, "
        "set the model's weights: to its path, or set download: true in the model's entry of the "
        "study file"
    )


def check_freeze(freeze: str, trainable_layers: int) -> None:
    """``freeze`` names a way of counting layers, and ``trainable_layers`` is within the count."""
    if freeze not in LAYER_COUNTS:
        raise ValueError(
            f"freeze must be {' or '.join(LAYER_COUNTS)}, not {freeze!r}; keras counts Keras' "
            "layers (the paper's), modules counts convolutions and batch norms"
        )
    count = LAYER_COUNTS[freeze]
    if not 0 <= trainable_layers <= count:
        raise ValueError(
            f"trainable_layers must lie between 0 and {count} with freeze: {freeze}, "
            f"not {trainable_layers}"
        )


def check_options(
    *,
    weights: str | Path | None,
    download: bool,
    freeze: str,
    trainable_layers: int,
    **_: object,
) -> None:
    """Before any job: ``freeze`` and ``trainable_layers`` are valid, and the weights are in
    the configured file or the torch hub cache."""
    check_freeze(freeze, trainable_layers)
    weights_file(weights, download)


@register_model(
    "resnet50_transfer",
    roles=ROLES,
    min_size=32,
    check=check_options,
    normalize=IMAGENET_NORMALIZE,
)
def resnet50_transfer(
    num_classes: int,
    in_channels: int,
    make_act: MakeAct,
    *,
    weights: str | Path | None = None,
    download: bool = False,
    freeze: str = "keras",
    trainable_layers: int = 3,
) -> nn.Module:
    """ImageNet ResNet-50 (ImageNet stem), global average pooling and a new dense head ``fc``.

    S1 froze "all base layers except the last three" of Keras' ResNet50: ``freeze`` says what a
    *layer* is when the last ``trainable_layers`` of the base train and all others are frozen
    (their batch norms use the ImageNet running statistics):

    - ``keras`` (the paper's, default): a layer of Keras' ``base_model.layers``
      (:func:`actstudy.models.transfer.keras_layers`, 175), parameter-free ReLU, add, padding
      and pooling layers included. The default 3 trains ``conv5_block3_3_bn``
      (``layer4.2.bn3``), ``_add`` and ``_out``: only the last batch norm of the base learns.
    - ``modules`` (our earlier reading, a variant): a convolution or batch norm of the base
      (:func:`actstudy.models.transfer.base_layers`, 106), so 3 trains ``layer4.2.bn2``,
      ``layer4.2.conv3`` and ``layer4.2.bn3``.

    (torchvision's detection models use the option name ``trainable_layers`` for whole stages;
    this is not that.) The head always trains, and so do any parameters of the activations,
    which the weights do not hold. Inputs are normalised with the ImageNet mean and std the
    weights were trained with (declared at registration, whatever the dataset's ``normalize``
    says; Keras' own weights would want its "caffe" preprocessing instead). Roles: ``"stem"``,
    ``"block"``; the weights were learnt with ReLU. The manifest's faithfulness records
    ``freeze``, ``trainable_layers`` and the trainable layers by name.
    """
    from actstudy.models import transfer

    return transfer.resnet50_transfer(
        num_classes,
        in_channels,
        make_act,
        weights=weights_file(weights, download),
        freeze=freeze,
        trainable_layers=trainable_layers,
    )
