"""torchvision's weight initialisation, shared by the models that reproduce its architectures."""

from __future__ import annotations

from torch import nn

_CONV = (nn.Conv1d, nn.Conv2d)
_NORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)


def init_weights(model: nn.Module, linear_std: float | None = None) -> None:
    """He-normal (fan-out) convolutions with zero bias, unit/zero norms, and N(0, std²) linear
    layers with zero bias when ``linear_std`` is given (PyTorch's default init otherwise)."""
    for module in model.modules():
        if isinstance(module, _CONV):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, _NORM):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear) and linear_std is not None:
            nn.init.normal_(module.weight, 0.0, linear_std)
            nn.init.zeros_(module.bias)
