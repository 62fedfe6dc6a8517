"""MobileNetV2 and MobileNet v1 (S3); built by :mod:`actstudy.models.mobilenet`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from actstudy.models.registry import register_model
from actstudy.options import check_choice

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct

V1_STEMS = ("imagenet", "cifar")


@register_model("mobilenet_v2", roles=("stem", "block", "head"), min_size=32)
def mobilenet_v2(num_classes: int, in_channels: int, make_act: MakeAct) -> nn.Module:
    """MobileNetV2 (S3), 3.5 M parameters at 1000 classes; 32-pixel inputs end at 1x1."""
    from actstudy.models.mobilenet import MobileNetV2

    return MobileNetV2(num_classes, in_channels, make_act)


def _v1_min_size(options: Mapping[str, Any]) -> int:
    # Five stride-2 blocks, and the stem's when it is the paper's: at least one pixel at the end.
    return 32 if options["stem"] == "imagenet" else 16


def _v1_check(*, stem: str) -> None:
    check_choice("stem", stem, V1_STEMS)


@register_model("mobilenet_v1", roles=("stem", "block"), min_size=_v1_min_size, check=_v1_check)
def mobilenet_v1(
    num_classes: int, in_channels: int, make_act: MakeAct, *, stem: str = "imagenet"
) -> nn.Module:
    """MobileNet v1 (S3: the paper's "MobileNet"), 4.2 M parameters at 1000 classes, 3.2 M at
    10. ``stem="imagenet"``: the paper's stride-2 first convolution (32-pixel inputs end at
    1x1). ``stem="cifar"``: the same convolution at stride 1, for 32-pixel images (2x2 at the
    end)."""
    from actstudy.models.mobilenet import MobileNetV1

    return MobileNetV1(num_classes, in_channels, make_act, stem)
