"""S4's modified LeNet-5; built by :mod:`actstudy.models.lenet`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actstudy.models.registry import register_model

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct

MIN_SIZE = 16


@register_model("lenet5", roles=("conv1", "conv2", "fc"), min_size=MIN_SIZE)
def lenet5(
    num_classes: int, in_channels: int, make_act: MakeAct, *, input_size: int = 32
) -> nn.Module:
    """LeNet-5 with five layers: conv1, pool1, conv2, pool2, fc (plus the linear output).

    S4 changed LeNet-5's kernel and pooling sizes and dropped one fully connected layer but did
    not publish the sizes. Our choice: conv1 = 6 maps of 5x5 (activation role ``"conv1"``),
    2x2 max pooling (LeNet-5 sub-sampled by trainable 2x2 averaging), conv2 = 16 maps of 5x5
    (role ``"conv2"``), 2x2 max pooling, fc = 120 units (role ``"fc"``), then a linear output
    (F6's 84 units are the layer dropped). Valid convolutions: the maps before fc are 4x4 at
    ``input_size`` 28 (MNIST), 5x5 at 32 (LeNet-5's size) and 6x6 at 36 (S4's padded MNIST).
    S4's Tanh-ReLU is ``{roles: {conv1: relu, conv2: tanh, fc: relu}}``.
    """
    from actstudy.models import lenet

    return lenet.lenet5(num_classes, in_channels, make_act, input_size=input_size)
