"""Model registry and architectures: sizes, roles, activation use, forward/backward passes."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest
import torch
import torchvision.models as tv
from torch import nn

from actstudy import activations, models
from actstudy.models.builtin.transfer import LAYER_COUNTS, hub_weights_file
from actstudy.models.transfer import base_layers, imagenet_weights, keras_layers

# one pytest-xdist worker runs this file: its module-scoped fixtures are built once
pytestmark = pytest.mark.xdist_group("test_models")

TRANSFER = "resnet50_transfer"
SLOW = {"vgg16"}  # its 102 M-weight first dense layer: ~2 s alone, up to ~8 s on busy cores
NUM_CLASSES = 5
# Where a test checks wiring rather than arithmetic, these are built on the meta device: their
# dense layers (55 M and 120 M weights) take seconds to initialise on the CPU.
HEAVY = {"alexnet", "vgg16"}


def device_for(name: str) -> torch.device:
    return torch.device("meta" if name in HEAVY else "cpu")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors run faster on one intra-op thread than on two cores shared with others."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def sample(name: str, in_channels: int = 3, **options) -> torch.Tensor:
    """A batch of 2 at the smallest input size the model accepts with these options."""
    side = models.min_input_size(name, **options)
    return torch.randn(2, in_channels, *[side] * models.spatial_dims(name))


class Recorder:
    """A make_act test double: delegates to a real factory and records every call."""

    def __init__(self, spec: activations.Spec = "relu") -> None:
        self.inner = activations.factory(spec)
        self.calls: list[tuple[str, nn.Module]] = []

    def __call__(self, role: str) -> nn.Module:
        module = self.inner(role)
        self.calls.append((role, module))
        return module

    def modules(self) -> list[nn.Module]:
        return [module for _, module in self.calls]


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A torchvision ResNet-50 state dict with random weights, saved as its ImageNet file."""
    path = tmp_path_factory.mktemp("weights") / hub_weights_file().name
    torch.manual_seed(0)
    reference = tv.resnet50(weights=None)
    for bn in reference.modules():
        if isinstance(bn, nn.BatchNorm2d):  # give the running statistics recognisable values
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
    torch.save(reference.state_dict(), path)
    return path


def build(name: str, weights: Path, **options):
    if name == TRANSFER:
        options.setdefault("weights", str(weights))
    return models.create(name, num_classes=NUM_CLASSES, **options)


def model_cases() -> list:
    """Every registered model with its default options, plus the other stems and sizes."""
    cases = [(name, {}) for name in models.names()]
    cases += [
        ("resnet18", {"stem": "cifar"}),
        ("alexnet", {"stem": "cifar"}),
        ("lenet5", {"input_size": 28}),
        ("lenet5", {"input_size": 36}),
    ]
    return [
        pytest.param(
            name,
            options,
            marks=[pytest.mark.slow] if name in SLOW else [],
            id="-".join([name, *(f"{key}={value}" for key, value in options.items())]),
        )
        for name, options in cases
    ]


# --- registry ---------------------------------------------------------------------------------


def test_unknown_model_lists_the_names() -> None:
    with pytest.raises(ValueError, match=r"unknown model 'resnet19'; choose one of .*resnet20"):
        models.create("resnet19", num_classes=NUM_CLASSES)


def test_unknown_option_names_the_accepted_ones() -> None:
    with pytest.raises(ValueError, match=r"takes options stem; remove depth"):
        models.create("resnet18", num_classes=NUM_CLASSES, depth=3)
    with pytest.raises(ValueError, match=r"'resnet20' takes no options; remove stem"):
        models.create("resnet20", num_classes=NUM_CLASSES, stem="cifar")


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("resnet18", {"stem": "tiny"}, "stem must be one of imagenet, cifar"),
        ("alexnet", {"stem": "tiny"}, "stem must be one of imagenet, cifar"),
        ("lenet5", {"input_size": 12}, "at least 16"),
        ("afos_cnn", {"input_size": 4}, "at least 8"),
        ("cct", {"dim": 100, "heads": 3}, "dim divisible by heads"),
        ("cct", {"input_size": 0}, "input_size, depth, conv_layers and heads of at least 1"),
    ],
)
def test_bad_option_values_raise(name: str, options: dict, message: str) -> None:
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        models.create(name, num_classes=NUM_CLASSES, **options)


def test_bad_class_and_channel_counts_raise() -> None:
    with pytest.raises(ValueError, match="num_classes must be at least 1"):
        models.create("lenet5", num_classes=0)
    with pytest.raises(ValueError, match="in_channels must be at least 1"):
        models.create("lenet5", num_classes=NUM_CLASSES, in_channels=0)


def test_bad_activation_spec_fails_before_building() -> None:
    with pytest.raises(ValueError, match="unknown activation 'relu7'"):
        models.create("lenet5", num_classes=NUM_CLASSES, act="relu7")


def test_module_class_as_act_builds_a_fresh_default_instance_per_use() -> None:
    model = models.create("resnet8", num_classes=NUM_CLASSES, act=nn.ReLU)
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(relus) > 1
    assert len({id(m) for m in relus}) == len(relus)
    assert all(m.inplace is False for m in relus)  # not nn.ReLU(inplace="stem")
    forward_backward(model, sample("resnet8"))


def test_module_instance_as_act_is_refused() -> None:
    with pytest.raises(ValueError, match=r"instance, which every layer would share; .*class"):
        models.create("lenet5", num_classes=NUM_CLASSES, act=nn.ReLU())


def test_other_callable_as_act_points_to_make_act() -> None:
    with pytest.raises(ValueError, match=r"make_act="):
        models.create("lenet5", num_classes=NUM_CLASSES, act=lambda role: nn.ReLU())


def test_make_act_builds_the_model_with_its_modules() -> None:
    roles: list[str] = []

    def make_act(role: str) -> nn.Module:
        roles.append(role)
        return nn.Tanh()

    model = models.create("lenet5", num_classes=NUM_CLASSES, make_act=make_act)
    assert roles == ["conv1", "conv2", "fc"]
    assert [type(m) for m in (model.act1, model.act2, model.act3)] == [nn.Tanh] * 3


def test_act_and_make_act_together_are_refused() -> None:
    with pytest.raises(ValueError, match="either act= or make_act=, not both"):
        models.create("lenet5", num_classes=NUM_CLASSES, act="relu", make_act=lambda r: nn.ReLU())


@pytest.mark.parametrize(
    ("make_act", "message"),
    [
        (lambda role: "relu", r"make_act\('conv1'\) returned str, not an nn.Module"),
        (nn.ReLU, r"class ReLU.*pass it as act=ReLU"),
        (nn.ReLU(), r"ReLU instance, which every layer would share"),
    ],
    ids=["returns-str", "class", "instance"],
)
def test_bad_make_act_is_refused(make_act, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        models.create("lenet5", num_classes=NUM_CLASSES, make_act=make_act)


def test_input_size_metadata() -> None:
    assert models.input_size("lenet5") == 32
    assert models.input_size("lenet5", input_size=36) == 36
    assert models.input_size("afos_cnn") == models.input_size("cct") == 32
    assert models.input_size("resnet20") is None
    assert models.min_input_size("resnet20") == 4
    assert models.min_input_size("resnet18") == 32
    assert models.min_input_size("resnet18", stem="cifar") == 8
    assert models.min_input_size("alexnet") == 63
    assert models.min_input_size("alexnet", stem="cifar") == 15
    assert models.spatial_dims("resnet34_1d") == 1
    assert models.spatial_dims("resnet34") == 2
    assert models.options("resnet18") == {"stem": "imagenet"}
    assert models.roles("lenet5") == ("conv1", "conv2", "fc")


@pytest.mark.parametrize(
    ("name", "options"), [("vgg16", {}), ("alexnet", {}), ("alexnet", {"stem": "cifar"})]
)
def test_min_input_size_is_tight_where_pooling_sets_it(name: str, options: dict) -> None:
    side = models.min_input_size(name, **options)
    with torch.device("meta"):
        model = models.create(name, num_classes=NUM_CLASSES, **options)
        assert model(torch.empty(2, 3, side, side)).shape == (2, NUM_CLASSES)
        with pytest.raises(RuntimeError):
            model(torch.empty(2, 3, side - 1, side - 1))


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("resnet18", tv.resnet18),
        ("resnet34", tv.resnet34),
        ("resnet50", tv.resnet50),
        ("vgg16", tv.vgg16),
        ("alexnet", tv.alexnet),
        ("mobilenet_v2", tv.mobilenet_v2),
    ],
)
def test_imagenet_models_equal_torchvision(name: str, reference) -> None:
    with torch.device("meta"):
        ours = models.create(name, num_classes=1000, in_channels=3)
        theirs = reference(weights=None)
    assert n_params(ours) == n_params(theirs)
    shapes = {key: value.shape for key, value in ours.state_dict().items()}
    assert shapes == {key: value.shape for key, value in theirs.state_dict().items()}


def test_resnet50_keras_v1_is_keras_resnet50() -> None:
    """Keras' ResNet50 (1000 classes): 25,583,592 trainable parameters and 53,120 batch norm
    moving statistics, 25,636,712 in its summary; torchvision's v1.5 has no convolution biases
    (25,557,032)."""
    with torch.device("meta"):
        keras = models.create("resnet50", num_classes=1000, in_channels=3, variant="keras_v1")
        torchvision = models.create("resnet50", num_classes=1000, in_channels=3)
    moving = sum(
        m.running_mean.numel() * 2 for m in keras.modules() if isinstance(m, nn.BatchNorm2d)
    )
    assert (n_params(keras), moving, n_params(keras) + moving) == (25_583_592, 53_120, 25_636_712)
    assert n_params(torchvision) == 25_557_032
    for model, strided, other in ((keras, "conv1", "conv2"), (torchvision, "conv2", "conv1")):
        for stage in ("layer2", "layer3", "layer4"):
            first = getattr(model, stage)[0]
            assert getattr(first, strided).stride == (2, 2)
            assert getattr(first, other).stride == (1, 1)
            assert first.downsample[0].stride == (2, 2)
        assert model.layer1[0].conv1.stride == model.layer1[0].conv2.stride == (1, 1)
    norms = [m for m in keras.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 53 and {(m.momentum, m.eps) for m in norms} == {(0.01, 1.001e-5)}
    assert {
        (m.momentum, m.eps) for m in torchvision.modules() if isinstance(m, nn.BatchNorm2d)
    } == {(0.1, 1e-5)}
    assert keras.describe()["name"] == "keras_v1" and keras.describe()["stride_in_reduce"]
    assert torchvision.describe()["name"] == "torchvision_v1_5"


def test_resnet50_keras_v1_pools_over_zero_padding() -> None:
    """Keras pads the stem's pooling with zeros: a negative border stays 0, not the maximum of
    the negatives (PyTorch's −∞ padding)."""
    keras = models.create("resnet50", num_classes=2, in_channels=1, variant="keras_v1")
    torchvision = models.create("resnet50", num_classes=2, in_channels=1)
    x = -torch.ones(1, 64, 4, 4)
    assert keras.maxpool(x)[0, 0, 0, 0] == 0 and torchvision.maxpool(x)[0, 0, 0, 0] == -1
    assert keras.maxpool(x).shape == torchvision.maxpool(x).shape


def test_resnet50_refuses_an_unknown_variant() -> None:
    with pytest.raises(
        ValueError, match="variant must be one of torchvision_v1_5, keras_v1, not 'v2'"
    ):
        models.check("resnet50", variant="v2")


@pytest.mark.parametrize(("num_classes", "count"), [(1000, 4_231_976), (10, 3_217_226)])
def test_mobilenet_v1_has_the_published_size(num_classes: int, count: int) -> None:
    """Howard et al. 2017 Table 1: 4.2 M parameters at 1000 classes (Keras's MobileNet counts
    4,231,976 trainable), 3.2 M with a 10-class head; 13 depthwise 3x3 convolutions."""
    with torch.device("meta"):
        model = models.create("mobilenet_v1", num_classes=num_classes)
    assert n_params(model) == count
    depthwise = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.groups > 1]
    assert len(depthwise) == 13
    assert all(m.groups == m.in_channels == m.out_channels for m in depthwise)


@pytest.mark.parametrize(("stem", "size", "final"), [("imagenet", 32, 1), ("cifar", 32, 2)])
def test_mobilenet_v1_stems(stem: str, size: int, final: int) -> None:
    model = models.create("mobilenet_v1", num_classes=NUM_CLASSES, stem=stem).eval()
    assert model.features(torch.randn(1, 3, size, size)).shape[-1] == final
    assert models.min_input_size("mobilenet_v1", stem=stem) == (32 if stem == "imagenet" else 16)
    with pytest.raises(ValueError, match="stem must be one of imagenet, cifar"):
        models.create("mobilenet_v1", num_classes=NUM_CLASSES, stem="tiny")


@pytest.mark.parametrize(("depth", "millions"), [(20, 0.27), (56, 0.85)])
def test_cifar_resnets_have_the_published_sizes(depth: int, millions: float) -> None:
    with torch.device("meta"):
        model = models.create(f"resnet{depth}", num_classes=10)
    assert round(n_params(model) / 1e6, 2) == millions


def test_cct_has_the_published_sizes() -> None:
    with torch.device("meta"):
        small = models.create("cct", num_classes=10)
        cct_7_3x1 = models.create(
            "cct", num_classes=10, depth=7, heads=4, dim=256, mlp_ratio=2, conv_layers=1
        )
    assert round(n_params(small) / 1e6, 2) == 0.28
    assert round(n_params(cct_7_3x1) / 1e6, 2) == 3.76


def test_resnet34_1d_takes_ecg_beats() -> None:
    with torch.device("meta"):
        model = models.create("resnet34_1d", num_classes=5, in_channels=1)
        for length in (187, 260):
            assert model(torch.empty(2, 1, length)).shape == (2, 5)


# --- activations ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "options"), model_cases())
def test_every_activation_use_is_its_own_module(name: str, options: dict, weights_file) -> None:
    """Each make_act call is one use: its module sits at one place and runs once per forward,
    and the roles asked for are the declared ones. Channels-last input must work too."""
    recorder = Recorder()
    with device_for(name):
        model = build(name, weights_file, make_act=recorder, **options)
        x = sample(name, **options)
    assert {role for role, _ in recorder.calls} == set(models.roles(name))
    made = recorder.modules()
    assert len({id(m) for m in made}) == len(made), "make_act returned a module twice"
    places = Counter(id(m) for _, m in model.named_modules(remove_duplicate=False))
    assert all(places[id(m)] == 1 for m in made)
    runs: Counter[int] = Counter()
    for module in made:
        module.register_forward_hook(lambda m, args, out: runs.update([id(m)]))
    if x.dim() == 4:
        model, x = (
            model.to(memory_format=torch.channels_last),
            x.to(memory_format=torch.channels_last),
        )
    assert model(x).shape == (2, NUM_CLASSES)
    assert all(runs[id(m)] == 1 for m in made)


@pytest.mark.parametrize("name", [n for n in models.names() if n != TRANSFER])
def test_network_scope_shares_one_module(name: str) -> None:
    recorder = Recorder({"name": "relu", "scope": "network"})
    with device_for(name):
        model = models.create(name, num_classes=NUM_CLASSES, make_act=recorder)
    (shared,) = {id(m) for m in recorder.modules()}
    uses = [m for _, m in model.named_modules(remove_duplicate=False) if id(m) == shared]
    assert len(uses) == len(recorder.calls)


@pytest.mark.parametrize("name", ["lenet5", "resnet8"])
def test_shared_trainable_activation_counts_its_parameters_once(name: str) -> None:
    base = n_params(models.create(name, num_classes=NUM_CLASSES))
    shared = nn.PReLU()
    calls = Recorder()
    models.create(name, num_classes=NUM_CLASSES, make_act=calls)
    assert (
        n_params(models.create(name, num_classes=NUM_CLASSES, make_act=lambda role: shared))
        == base + 1
    )
    per_layer = models.create(name, num_classes=NUM_CLASSES, make_act=lambda role: nn.PReLU())
    assert n_params(per_layer) == base + len(calls.calls)


def trainable_network_activations() -> list[str]:
    return [
        name
        for name in activations.names()
        if activations.scope_of(name) == "network" and n_params(activations.create(name)) > 0
    ]


@pytest.mark.parametrize("name", ["lenet5", "resnet8"])
def test_registered_network_scope_activation_is_shared(name: str) -> None:
    found = trainable_network_activations()
    if not found:
        pytest.skip("no activation with trainable parameters and network scope is registered")
    act = found[0]
    own = n_params(activations.create(act))
    base = n_params(models.create(name, num_classes=NUM_CLASSES))
    calls = Recorder()
    models.create(name, num_classes=NUM_CLASSES, make_act=calls)
    shared = models.create(name, num_classes=NUM_CLASSES, act=act)
    assert n_params(shared) == base + own
    per_layer = models.create(name, num_classes=NUM_CLASSES, act={"name": act, "scope": "layer"})
    assert n_params(per_layer) == base + own * len(calls.calls)
    forward_backward(shared, sample(name))


def forward_backward(model: nn.Module, x: torch.Tensor, classes: int = NUM_CLASSES) -> None:
    out = model(x)
    assert out.shape == (x.shape[0], classes)
    out.square().mean().backward()
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            assert parameter.grad is not None, f"{name} got no gradient"
            assert torch.isfinite(parameter.grad).all(), f"{name} has a non-finite gradient"


@pytest.mark.parametrize(("name", "options"), model_cases())
def test_forward_backward_with_relu(name: str, options: dict, weights_file) -> None:
    torch.manual_seed(0)
    forward_backward(build(name, weights_file, act="relu", **options), sample(name, **options))


@pytest.mark.parametrize("name", [n for n in models.names() if n != TRANSFER])
def test_other_activations_wire_through_every_model(name: str) -> None:
    """Forward and backward with a plain activation, a per-role combination and a shared
    trainable one."""
    mix = ["tanh", "sigmoid", "silu"]
    combination = {"roles": {role: mix[i % 3] for i, role in enumerate(models.roles(name))}}
    for spec in ["tanh", combination, *trainable_network_activations()[:1]]:
        with device_for(name):
            model = models.create(name, num_classes=NUM_CLASSES, act=spec)
            out = model(sample(name))
        assert out.shape == (2, NUM_CLASSES)
        out.sum().backward()
        assert all(p.grad is not None for p in model.parameters())


def activation_specs() -> list:
    specs: list = [*activations.names(), {"name": "lrelu", "alpha": 0.02, "beta": 0.9}]
    if importlib.util.find_spec("actstudy.activations.expression") is not None:
        specs.append({"expr": "x*erf(exp(x))"})
    return specs


@pytest.mark.parametrize("spec", activation_specs(), ids=str)
@pytest.mark.parametrize("name", ["lenet5", "resnet8"])
def test_every_activation_trains_a_small_model(name: str, spec: activations.Spec) -> None:
    torch.manual_seed(0)
    forward_backward(models.create(name, num_classes=NUM_CLASSES, act=spec), sample(name))


def test_lenet5_takes_the_tanh_relu_combination() -> None:
    spec = {"roles": {"conv1": "relu", "conv2": "tanh", "fc": "relu"}}
    model = models.create("lenet5", num_classes=NUM_CLASSES, in_channels=1, act=spec, input_size=36)
    assert [type(m) for m in (model.act1, model.act2, model.act3)] == [nn.ReLU, nn.Tanh, nn.ReLU]
    forward_backward(model, sample("lenet5", in_channels=1, input_size=36))


def test_small_models_take_channels_last_on_cpu() -> None:
    for name in ("lenet5", "resnet8", "afos_cnn", "cct", "mobilenet_v2"):
        model = models.create(name, num_classes=NUM_CLASSES).to(memory_format=torch.channels_last)
        x = sample(name).to(memory_format=torch.channels_last)
        forward_backward(model, x)


# --- transfer learning ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transfer_model(weights_file: Path) -> nn.Module:
    return models.create(TRANSFER, num_classes=NUM_CLASSES, weights=str(weights_file))


def test_transfer_loads_the_weights(transfer_model: nn.Module, weights_file: Path) -> None:
    state = torch.load(weights_file, weights_only=True)
    loaded = transfer_model.state_dict()
    for key in ("conv1.weight", "layer3.1.bn2.running_mean", "layer4.2.conv3.weight"):
        assert torch.equal(loaded[key], state[key])


def trainable_names(model: nn.Module) -> set[str]:
    return {name for name, p in model.named_parameters() if p.requires_grad}


def test_transfer_by_default_freezes_all_but_the_last_three_keras_layers(
    transfer_model: nn.Module,
) -> None:
    # Keras' layers[-3:] are conv5_block3_3_bn, conv5_block3_add and conv5_block3_out
    assert trainable_names(transfer_model) == {
        "layer4.2.bn3.weight",
        "layer4.2.bn3.bias",
        "fc.weight",
        "fc.bias",
    }
    assert transfer_model.describe() == {
        "freeze": "keras",
        "trainable_layers": 3,
        "trainable": ["conv5_block3_3_bn", "conv5_block3_add", "conv5_block3_out"],
        "preprocessing": "imagenet mean/std (torchvision's weights), not Keras' caffe mode",
    }
    transfer_model.train()
    assert not transfer_model.bn1.training and not transfer_model.layer4[2].bn2.training
    assert transfer_model.layer4[2].bn3.training


def test_transfer_keras_layers_are_those_of_keras_resnet50(transfer_model: nn.Module) -> None:
    layers = keras_layers(transfer_model)
    assert len(layers) == 175  # len(keras.applications.ResNet50(include_top=False).layers)
    assert {"keras": 175, "modules": len(base_layers(transfer_model))} == LAYER_COUNTS
    with_weights = [module for _, module in layers if module is not None]
    assert len(with_weights) == 106 and len({id(m) for m in with_weights}) == 106
    assert {id(m) for m in with_weights} == {id(m) for m in base_layers(transfer_model)}
    names = [name for name, _ in layers]
    first_block = names[names.index("conv2_block1_1_conv") : names.index("conv2_block1_out") + 1]
    assert first_block[5:10] == [
        "conv2_block1_2_relu",
        "conv2_block1_0_conv",
        "conv2_block1_3_conv",
        "conv2_block1_0_bn",
        "conv2_block1_3_bn",
    ]
    assert dict(layers)["conv2_block1_0_bn"] is transfer_model.layer1[0].downsample[1]
    assert names[-4:] == [
        "conv5_block3_3_conv",
        "conv5_block3_3_bn",
        "conv5_block3_add",
        "conv5_block3_out",
    ]


def test_transfer_modules_variant_trains_the_last_convolutions_and_batch_norms(
    weights_file: Path,
) -> None:
    model = models.create(TRANSFER, num_classes=3, weights=str(weights_file), freeze="modules")
    assert trainable_names(model) == {
        "layer4.2.bn2.weight",
        "layer4.2.bn2.bias",
        "layer4.2.conv3.weight",
        "layer4.2.bn3.weight",
        "layer4.2.bn3.bias",
        "fc.weight",
        "fc.bias",
    }
    assert model.describe()["trainable"] == ["layer4.2.bn2", "layer4.2.conv3", "layer4.2.bn3"]
    assert len(base_layers(model)) == 106
    model.train()
    assert not model.bn1.training and not model.layer4[2].bn1.training
    assert model.layer4[2].bn2.training and model.layer4[2].bn3.training
    keras8 = models.create(TRANSFER, num_classes=3, weights=str(weights_file), trainable_layers=8)
    assert trainable_names(keras8) - {"fc.weight", "fc.bias"} == {
        "layer4.2.conv2.weight",
        "layer4.2.bn2.weight",
        "layer4.2.bn2.bias",
        "layer4.2.conv3.weight",
        "layer4.2.bn3.weight",
        "layer4.2.bn3.bias",
    }


def test_transfer_declares_imagenet_normalisation() -> None:
    assert models.normalization(TRANSFER) == (
        [0.485, 0.456, 0.406],
        [0.229, 0.224, 0.225],
    )
    assert models.normalization("lenet5") is None


def test_transfer_head_is_new_and_only_it_and_the_last_layers_learn(
    transfer_model: nn.Module,
) -> None:
    assert transfer_model.fc.weight.shape == (NUM_CLASSES, 2048)
    transfer_model.zero_grad(set_to_none=True)
    forward_backward(transfer_model, sample(TRANSFER))
    assert transfer_model.conv1.weight.grad is None
    assert transfer_model.layer4[2].conv2.weight.grad is None


def test_transfer_keeps_new_activation_parameters_trainable(weights_file: Path) -> None:
    found = trainable_network_activations()
    if not found:
        pytest.skip("no activation with trainable parameters and network scope is registered")
    model = models.create(TRANSFER, num_classes=3, act=found[0], weights=str(weights_file))
    assert model.act is model.layer1[0].act1  # one shared instance, not in the weights file
    assert all(p.requires_grad for p in model.act.parameters())


def test_transfer_reads_the_hub_cache(weights_file: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cached = hub_weights_file()
    assert cached.name == Path(imagenet_weights().url).name
    cached.parent.mkdir(parents=True)
    cached.symlink_to(weights_file)
    model = models.create(TRANSFER, num_classes=3, trainable_layers=0)
    assert {name for name, p in model.named_parameters() if p.requires_grad} == {
        "fc.weight",
        "fc.bias",
    }


def test_transfer_without_weights_says_where_to_put_them(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    expected = tmp_path / "hub" / "checkpoints" / Path(imagenet_weights().url).name
    with pytest.raises(FileNotFoundError, match=f"no ImageNet ResNet-50 weights at {expected}"):
        models.create(TRANSFER, num_classes=3)
    with pytest.raises(FileNotFoundError, match="does not exist; set the weights option"):
        models.create(TRANSFER, num_classes=3, weights=str(tmp_path / "missing.pth"))


def test_transfer_rejects_bad_requests(tmp_path, weights_file: Path) -> None:
    with pytest.raises(ValueError, match="needs in_channels=3"):
        models.create(TRANSFER, num_classes=3, in_channels=1, weights=str(weights_file))
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a state dict")
    with pytest.raises(ValueError, match="cannot read ResNet-50 weights"):
        models.create(TRANSFER, num_classes=3, weights=str(garbage))
    wrong = tmp_path / "partial.pth"
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, wrong)
    with pytest.raises(ValueError, match="not a torchvision ResNet-50 state dict"):
        models.create(TRANSFER, num_classes=3, weights=str(wrong))
    misshapen = tmp_path / "misshapen.pth"
    torch.save({"conv1.weight": torch.zeros(64, 3, 3, 3)}, misshapen)
    with pytest.raises(ValueError, match=r"do not fit ResNet-50 \(size mismatch"):
        models.create(TRANSFER, num_classes=3, weights=str(misshapen))
    with pytest.raises(ValueError, match="trainable_layers must lie between 0 and 175 with"):
        models.create(TRANSFER, num_classes=3, weights=str(wrong), trainable_layers=176)
    with pytest.raises(ValueError, match="between 0 and 106 with freeze: modules, not 107"):
        models.create(
            TRANSFER, num_classes=3, weights=str(wrong), freeze="modules", trainable_layers=107
        )
    with pytest.raises(ValueError, match="freeze must be keras or modules, not 'keras_last3'"):
        models.create(TRANSFER, num_classes=3, weights=str(wrong), freeze="keras_last3")
    # and before any job, without building the model
    with pytest.raises(ValueError, match="freeze must be keras or modules, not 'Keras'"):
        models.check(TRANSFER, weights=str(wrong), freeze="Keras")
    with pytest.raises(ValueError, match="between 0 and 175 with freeze: keras, not -1"):
        models.check(TRANSFER, weights=str(wrong), trainable_layers=-1)
    models.check(TRANSFER, weights=str(wrong), freeze="modules", trainable_layers=106)
