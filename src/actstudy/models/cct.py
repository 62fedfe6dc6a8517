"""Compact Convolutional Transformer (Hassani et al. 2021, "Escaping the Big Data Paradigm")."""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F

from actstudy.activations import MakeAct

TOKENIZER_WIDTH = 64  # channels of the tokenizer's inner convolutions
ATTENTION_DROPOUT = 0.1
STOCHASTIC_DEPTH = 0.1  # drop-path rate of the last layer, rising linearly from 0


def _conv_geometry(kernel_size: int) -> tuple[int, int]:
    """Stride and padding of CCT's tokenizer convolutions for a kernel size."""
    return max(1, kernel_size // 2 - 1), max(1, kernel_size // 2)


def _token_side(size: int, conv_layers: int, kernel_size: int) -> int:
    stride, padding = _conv_geometry(kernel_size)
    for _ in range(conv_layers):
        size = (size + 2 * padding - kernel_size) // stride + 1
        size = (size - 1) // 2 + 1  # 3x3 max pooling, stride 2, padding 1
    return size


class Tokenizer(nn.Module):
    """Convolution → activation (role ``"tokenizer"``) → 3x3/2 max pooling, per conv layer;
    the feature map's pixels become the tokens."""

    def __init__(
        self, in_channels: int, dim: int, conv_layers: int, kernel_size: int, make_act: MakeAct
    ) -> None:
        super().__init__()
        stride, padding = _conv_geometry(kernel_size)
        widths = [in_channels] + [TOKENIZER_WIDTH] * (conv_layers - 1) + [dim]
        layers: list[nn.Module] = []
        for width_in, width_out in pairwise(widths):
            layers += [
                nn.Conv2d(width_in, width_out, kernel_size, stride, padding, bias=False),
                make_act("tokenizer"),
                nn.MaxPool2d(3, stride=2, padding=1),
            ]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).flatten(2).transpose(1, 2)


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.heads, dim // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        dropout = ATTENTION_DROPOUT if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout)
        return self.proj(out.transpose(1, 2).reshape(batch, tokens, dim))


class DropPath(nn.Module):
    """Stochastic depth: drops a residual branch for whole samples while training."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return x
        keep = torch.rand(x.shape[0], 1, 1, device=x.device, dtype=x.dtype) >= self.rate
        return x * keep / (1.0 - self.rate)

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


class EncoderLayer(nn.Module):
    """CCT's encoder layer: pre-norm attention, a norm, then an MLP (activation role ``"mlp"``),
    both residual with stochastic depth."""

    def __init__(
        self, dim: int, heads: int, mlp_ratio: float, drop_path: float, make_act: MakeAct
    ) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.pre_norm = nn.LayerNorm(dim)
        self.attention = SelfAttention(dim, heads)
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), make_act("mlp"), nn.Linear(hidden, dim))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x + self.drop_path(self.attention(self.pre_norm(x))))
        return x + self.drop_path(self.mlp(x))


class CCT(nn.Module):
    """Convolutional tokenizer, learnable positional embedding, transformer encoder, final
    norm, sequence pooling (attention-weighted mean of the tokens) and a linear head."""

    def __init__(
        self,
        num_classes: int,
        in_channels: int,
        make_act: MakeAct,
        *,
        input_size: int,
        depth: int,
        heads: int,
        dim: int,
        mlp_ratio: float,
        conv_layers: int,
        kernel_size: int,
    ) -> None:
        super().__init__()
        if min(input_size, depth, conv_layers, heads) < 1 or dim % heads:
            raise ValueError(
                "cct needs input_size, depth, conv_layers and heads of at least 1 and dim "
                f"divisible by heads; got input_size={input_size}, depth={depth}, "
                f"conv_layers={conv_layers}, heads={heads}, dim={dim}"
            )
        side = _token_side(input_size, conv_layers, kernel_size)
        self.tokenizer = Tokenizer(in_channels, dim, conv_layers, kernel_size, make_act)
        self.positional = nn.Parameter(torch.empty(1, side * side, dim))
        rates = [STOCHASTIC_DEPTH * index / max(depth - 1, 1) for index in range(depth)]
        self.layers = nn.Sequential(
            *(EncoderLayer(dim, heads, mlp_ratio, rate, make_act) for rate in rates)
        )
        self.norm = nn.LayerNorm(dim)
        self.attention_pool = nn.Linear(dim, 1)
        self.fc = nn.Linear(dim, num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        """The CCT paper's initialisation."""
        nn.init.trunc_normal_(self.positional, std=0.2)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
            elif isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.layers(self.tokenizer(x) + self.positional))
        weights = torch.softmax(self.attention_pool(x), dim=1)
        return self.fc((weights * x).sum(dim=1))
