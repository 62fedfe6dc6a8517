"""A LeNet-5 variant with one fully connected hidden layer, as in S4's "modified LeNet-5"
(declared in :mod:`actstudy.models.builtin.lenet`)."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from actstudy.activations import MakeAct

MIN_SIZE = 16


def _pooled(size: int) -> int:
    """Side length after a 5x5 valid convolution and 2x2 max pooling."""
    return (size - 4) // 2


def lenet5(
    num_classes: int, in_channels: int, make_act: MakeAct, *, input_size: int
) -> nn.Sequential:
    """LeNet-5 as declared (and described) in :mod:`actstudy.models.builtin.lenet`."""
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
