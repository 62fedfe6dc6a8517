"""A LeNet-5 variant with one fully connected hidden layer, as in S4's "modified LeNet-5"."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from actstudy.activations import MakeAct
from actstudy.models.registry import register_model

MIN_SIZE = 16


def _pooled(size: int) -> int:
    """Side length after a 5x5 valid convolution and 2x2 max pooling."""
    return (size - 4) // 2


@register_model("lenet5", roles=("conv1", "conv2", "fc"), min_size=MIN_SIZE)
def lenet5(
    num_classes: int, in_channels: int, make_act: MakeAct, *, input_size: int = 32
) -> nn.Sequential:
    """LeNet-5 with five layers: conv1, pool1, conv2, pool2, fc (plus the linear output).

    S4 changed LeNet-5's kernel and pooling sizes and dropped one fully connected layer but did
    not publish the sizes. Our choice: conv1 = 6 maps of 5x5 (activation role ``"conv1"``),
    2x2 max pooling (LeNet-5 sub-sampled by trainable 2x2 averaging), conv2 = 16 maps of 5x5
    (role ``"conv2"``), 2x2 max pooling, fc = 120 units (role ``"fc"``), then a linear output
    (F6's 84 units are the layer dropped). Valid convolutions: the maps before fc are 4x4 at
    ``input_size`` 28 (MNIST), 5x5 at 32 (LeNet-5's size) and 6x6 at 36 (S4's padded MNIST).
    S4's Tanh-ReLU is ``{roles: {conv1: relu, conv2: tanh, fc: relu}}``.
    """
    if input_size < MIN_SIZE:
        raise ValueError(f"lenet5 needs input_size of at least {MIN_SIZE}, not {input_size}")
    side = _pooled(_pooled(input_size))
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(in_channels, 6, 5),
            act1=make_act("conv1"),
            pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(6, 16, 5),
            act2=make_act("conv2"),
            pool2=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            fc=nn.Linear(16 * side * side, 120),
            act3=make_act("fc"),
            out=nn.Linear(120, num_classes),
        )
    )
