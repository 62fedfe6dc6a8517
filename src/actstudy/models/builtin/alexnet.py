"""AlexNet (S3); built by :mod:`actstudy.models.alexnet`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from actstudy.models.registry import register_model
from actstudy.options import check_choice

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct

STEMS = ("imagenet", "cifar")


def _min_size(options: Mapping[str, Any]) -> int:
    return 63 if options["stem"] == "imagenet" else 15


def _check(*, stem: str) -> None:
    check_choice("stem", stem, STEMS)


@register_model("alexnet", roles=("conv", "fc"), min_size=_min_size, check=_check)
def alexnet(
    num_classes: int, in_channels: int, make_act: MakeAct, *, stem: str = "imagenet"
) -> nn.Module:
    """AlexNet (S3), 61.1 M parameters at 1000 classes.

    ``stem="imagenet"``: torchvision's 11x11 stride-4 first convolution, which needs inputs of
    at least 63 pixels. ``stem="cifar"``: a 3x3 stride-1 first convolution instead, for 32-pixel
    inputs (any size from 15); the rest of the network is unchanged.
    """
    from actstudy.models.alexnet import AlexNet

    return AlexNet(num_classes, in_channels, make_act, stem)
