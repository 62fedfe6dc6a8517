"""Residual networks of He et al. (2016): ResNet-18/34/50 (images) and a 1-D ResNet-34
(signals); built by :mod:`actstudy.models.resnet`.

Activation roles: ``"stem"`` (after the first convolution) and ``"block"`` (every activation
inside the residual blocks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from actstudy.models.registry import register_model
from actstudy.options import check_choice

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct

ROLES = ("stem", "block")
STEMS = ("imagenet", "cifar")
RESNET50_VARIANTS = ("torchvision_v1_5", "keras_v1")
"""The names of :data:`actstudy.models.resnet_blocks.VARIANTS` (tested)."""


def _min_size(options: Mapping[str, Any]) -> int:
    """The ImageNet stem divides the size by 32 in all, the CIFAR stem by 8."""
    return 32 if options["stem"] == "imagenet" else 8


def _check(*, stem: str, variant: str = RESNET50_VARIANTS[0]) -> None:
    """One sentence for an unknown stem or variant, before any job."""
    check_choice("stem", stem, STEMS)
    check_choice("variant", variant, RESNET50_VARIANTS)


def _imagenet(name: str, blocks: str) -> Callable[..., nn.Module]:
    def build(
        num_classes: int, in_channels: int, make_act: MakeAct, *, stem: str = "imagenet"
    ) -> nn.Module:
        from actstudy.models.resnet import imagenet_resnet

        return imagenet_resnet(name, num_classes, in_channels, make_act, stem=stem)

    build.__doc__ = f"{name}: {blocks} BasicBlocks per stage, widths 64/128/256/512."
    return build


register_model("resnet18", roles=ROLES, min_size=_min_size, check=_check)(
    _imagenet("resnet18", "[2, 2, 2, 2]")
)
register_model("resnet34", roles=ROLES, min_size=_min_size, check=_check)(
    _imagenet("resnet34", "[3, 4, 6, 3]")
)


@register_model("resnet50", roles=ROLES, min_size=_min_size, check=_check)
def resnet50(
    num_classes: int,
    in_channels: int,
    make_act: MakeAct,
    *,
    stem: str = "imagenet",
    variant: str = "torchvision_v1_5",
) -> nn.Module:
    """resnet50: [3, 4, 6, 3] Bottlenecks per stage, widths 64/128/256/512; ``variant``
    torchvision_v1_5 (torchvision's, whose ImageNet weights load) or keras_v1 (Keras'
    ResNet50: stride 2 in a downsampling block's first 1×1 convolution, convolutions with bias,
    batch norm momentum 0.99 in Keras' terms, eps 1.001e-5, zero-padded stem pooling)."""
    from actstudy.models.resnet import imagenet_resnet

    return imagenet_resnet(
        "resnet50", num_classes, in_channels, make_act, stem=stem, variant=variant
    )


@register_model("resnet34_1d", roles=ROLES, min_size=32, dims=1)
def resnet34_1d(num_classes: int, in_channels: int, make_act: MakeAct) -> nn.Module:
    """1-D ResNet-34 for NxCxL signals such as ECG beats (S5, L = 187 at 125 Hz).

    The 2-D architecture with Conv1d: a 7-wide stride-2 stem and 3-wide stride-2 max pooling,
    [3, 4, 6, 3] BasicBlocks per stage, widths 64/128/256/512 and 3-wide kernels.
    """
    from actstudy.models.resnet import imagenet_resnet

    return imagenet_resnet("resnet34", num_classes, in_channels, make_act, dims=1)
