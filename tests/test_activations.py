"""Registered activations: values against closed forms, gradients, scopes, progress, bad specs."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

from actstudy.activations import (
    DSReLU,
    create,
    factory,
    names,
    recommended_compile,
    registry,
    scope_of,
    set_progress,
)
from actstudy.activations.expression import EXPRESSION_COMPILE

# Away from every kink (0 for the ReLU family, n = 1 for ReLUN).
SMOOTH_POINTS = [-2.3, -0.7, 0.4, 1.6, 2.9]


def sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def softplus(v: float) -> float:
    return math.log1p(math.exp(v))


def evaluate(spec, points: list[float]) -> list[float]:
    module = create(spec).double()
    with torch.no_grad():
        return module(torch.tensor(points, dtype=torch.float64)).tolist()


@pytest.mark.parametrize(
    ("spec", "points", "expected"),
    [
        ("coslu", [0.0], lambda v: 0.5),
        (
            {"name": "coslu", "a": 0.7, "b": 2.0},
            [-1.2, 1.3],
            lambda v: sigmoid(v) * (v + 0.7 * math.cos(2.0 * v)),
        ),
        ("delu", [-1.5, -0.2], lambda v: v * sigmoid(v)),
        ("delu", [0.3, 2.0], lambda v: 0.5 * v + abs(math.exp(-v) - 1)),
        ({"name": "delu", "n": 0.3}, [0.8], lambda v: 0.8 * v + abs(math.exp(-v) - 1)),
        ("relun", [-0.5, 0.5, 2.0], lambda v: min(max(0.0, v), 1.0)),
        ({"name": "relun", "n": 2.5}, [2.0, 3.0], lambda v: min(max(0.0, v), 2.5)),
        (
            {"name": "lrelu", "alpha": 0.02, "beta": 0.9},
            [-2.0, 3.0],
            lambda v: (0.02 if v <= 0 else 0.9) * v,
        ),
        ("eelu", [-1.0, 0.5, 2.0], lambda v: -v * math.erf(math.exp(-v))),
        ("eelu_pos", [-1.0, 0.5], lambda v: v * math.erf(math.exp(v))),
        ("eelu_sq", [-1.0, 0.5], lambda v: v * math.erf(math.exp(v)) ** 2),
        ("erf_softplus", [-1.0, 0.7], lambda v: math.erf(v) * softplus(v)),
    ],
)
def test_values_match_closed_forms(spec, points, expected) -> None:
    assert evaluate(spec, points) == pytest.approx([expected(v) for v in points], rel=1e-6)


def test_eelu_pos_minimum_matches_the_paper() -> None:
    grid = np.linspace(-3.0, 1.0, 40001)
    values = np.array(evaluate("eelu_pos", grid.tolist()))
    lowest = int(values.argmin())
    assert values[lowest] == pytest.approx(-0.3985, abs=5e-4)
    assert grid[lowest] == pytest.approx(-1.08, abs=0.01)


@pytest.mark.parametrize(
    ("variant", "a_deg", "b_deg"), [("paper", 85.0, 10.0), ("code", 75.0, 30.0)]
)
@pytest.mark.parametrize("t", [0.0, 0.5, 1.0])
def test_dsrelu_slope_follows_the_schedule(
    variant: str, a_deg: float, b_deg: float, t: float
) -> None:
    a, b, k = math.tan(math.radians(a_deg)), math.tan(math.radians(b_deg)), 5.0
    expected = a + (b - a) / (1.0 + math.exp(-k * (t - 0.5)))
    if t == 0.5:
        assert expected == pytest.approx((a + b) / 2)
    module = create({"name": "dsrelu", "variant": variant}).double()
    set_progress(module, t)
    out = module(torch.tensor([2.0, -3.0], dtype=torch.float64)).tolist()
    assert out == pytest.approx([2.0 * expected, -3.0], rel=1e-12)


def test_dsrelu_with_a_negative_slope_keeps_the_definition() -> None:
    module = create({"name": "dsrelu", "a": -2.0, "b": -2.0})
    x = torch.tensor([1.5, -0.5], requires_grad=True)
    out = module(x)
    out.sum().backward()
    assert out.tolist() == pytest.approx([-3.0, -0.5])
    assert x.grad.tolist() == pytest.approx([-2.0, 1.0])


def test_set_progress_reaches_every_instance_and_checks_range() -> None:
    model = nn.Sequential(DSReLU(), nn.Linear(2, 2), nn.Sequential(DSReLU(variant="code")))
    assert set_progress(model, 0.25) == 2
    assert [m.t for m in model.modules() if isinstance(m, DSReLU)] == [0.25, 0.25]
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            set_progress(model, bad)


def test_dsrelu_compiled_follows_progress_without_recompiling() -> None:
    graphs = []

    def counting_backend(graph: torch.fx.GraphModule, example_inputs):
        graphs.append(graph)
        return graph.forward

    module = DSReLU()
    compiled = torch.compile(module, backend=counting_backend)
    x = torch.tensor([2.0, -1.0])
    for t in (0.0, 0.5, 1.0):
        set_progress(module, t)
        assert compiled(x).tolist() == pytest.approx([2.0 * module.slope(), -1.0], rel=1e-5)
    assert len(graphs) == 1


def test_mish_compiled_form_matches_the_native_kernel() -> None:
    module = create("mish")
    compiled = torch.compile(module, backend="eager")
    points = [-30.0, -3.0, -0.5, 0.0, 0.7, 4.0, 25.0, 100.0]
    results = []
    for run in (module, compiled):
        x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
        out = run(x)
        out.sum().backward()
        results.append((out.detach(), x.grad))
    (native, native_grad), (formula, formula_grad) = results
    assert torch.allclose(formula, native, rtol=1e-12, atol=1e-15)
    assert torch.allclose(formula_grad, native_grad, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(
    "spec",
    ["leaky_relu", {"name": "lrelu", "alpha": 0.02, "beta": 0.9}, {"name": "dsrelu", "a": 3.0}],
)
def test_piecewise_compiled_form_matches_eager(spec) -> None:
    module = create(spec)
    results = []
    for run in (module, torch.compile(module, backend="eager")):
        x = torch.tensor([-2.0, -0.3, 0.4, 3.0], requires_grad=True)
        out = run(x)
        out.sum().backward()
        results.append((out.detach(), x.grad))
    (eager, eager_grad), (compiled, compiled_grad) = results
    assert torch.allclose(compiled, eager) and torch.allclose(compiled_grad, eager_grad)


def _parameters_as_inputs(module: nn.Module):
    """The module as a function of (x, *parameters), for gradcheck."""
    keys = [key for key, _ in module.named_parameters()]

    def call(x: torch.Tensor, *values: torch.Tensor) -> torch.Tensor:
        return functional_call(module, dict(zip(keys, values, strict=True)), (x,))

    params = [p.detach().clone().requires_grad_() for p in module.parameters()]
    return call, params


@pytest.mark.parametrize("name", names())
def test_gradcheck_every_registered_activation(name: str) -> None:
    module = create(name).double()
    call, params = _parameters_as_inputs(module)
    x = torch.tensor(SMOOTH_POINTS, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(call, (x, *params))


@pytest.mark.parametrize("name", names())
def test_gradient_reaches_every_trainable_parameter(name: str) -> None:
    module = create(name)
    module(torch.tensor(SMOOTH_POINTS, requires_grad=True)).sum().backward()
    for key, parameter in module.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().item() > 0, key


def test_relun_gradient_reaches_n_only_above_n() -> None:
    module = create({"name": "relun", "n": 1.0})
    module(torch.tensor([1.5, 2.0, 3.0])).sum().backward()
    assert module.n.grad.item() == pytest.approx(3.0)
    module.n.grad = None
    module(torch.tensor([-1.0, 0.2, 0.9])).sum().backward()
    assert module.n.grad.item() == 0.0


@pytest.mark.parametrize("name", ["eelu", "eelu_pos", "eelu_sq", "erf_softplus", "delu", "coslu"])
def test_gradients_stay_finite_for_extreme_inputs(name: str) -> None:
    x = torch.tensor([-1000.0, -100.0, 100.0, 1000.0], requires_grad=True)
    y = create(name)(x)
    y.sum().backward()
    assert torch.isfinite(y).all() and torch.isfinite(x.grad).all()


def _parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(("name", "scalars"), [("coslu", 2), ("delu", 1), ("relun", 1)])
def test_trainable_activations_share_one_instance_by_default(name: str, scalars: int) -> None:
    assert scope_of(name) == "network"
    make_act = factory(name)
    shared = [make_act(role) for role in ("stem", "block", "block")]
    assert all(module is shared[0] for module in shared)
    assert _parameter_count(nn.Sequential(*shared)) == scalars


@pytest.mark.parametrize(("name", "scalars"), [("coslu", 2), ("delu", 1), ("relun", 1)])
def test_layer_scope_gives_every_use_its_own_scalars(name: str, scalars: int) -> None:
    spec = {"name": name, "scope": "layer"}
    assert scope_of(spec) == "layer"
    make_act = factory(spec)
    modules = [make_act("block") for _ in range(3)]
    assert len({id(m) for m in modules}) == 3
    assert _parameter_count(nn.Sequential(*modules)) == 3 * scalars


def test_fixed_activations_default_to_layer_scope() -> None:
    make_act = factory("relu")
    assert scope_of("relu") == "layer"
    assert make_act("a") is not make_act("a")


def test_roles_pick_an_activation_per_role() -> None:
    make_act = factory({"roles": {"conv1": "relu", "conv2": "tanh", "fc": "relu"}})
    assert isinstance(make_act("conv1"), nn.ReLU)
    assert isinstance(make_act("conv2"), nn.Tanh)
    assert isinstance(make_act("fc"), nn.ReLU)
    assert make_act("conv1") is not make_act("fc")
    with pytest.raises(ValueError, match=r"'block'.*default"):
        make_act("block")


def test_roles_default_and_shared_scope_per_role() -> None:
    make_act = factory({"roles": {"stem": "coslu"}, "default": "tanh"})
    assert make_act("stem") is make_act("stem")
    assert isinstance(make_act("block"), nn.Tanh)


def test_initial_values_are_configurable() -> None:
    coslu = create({"name": "coslu", "a": 0.5, "b": 2.0})
    assert (coslu.a.item(), coslu.b.item()) == (0.5, 2.0)
    assert create({"name": "delu", "n": 1.0}).n.item() == 1.0
    assert create("delu").n.item() == 0.0
    assert create("relun").n.item() == 1.0


def test_modules_survive_deepcopy_and_pickle() -> None:
    x = torch.tensor(SMOOTH_POINTS)
    for spec in ("coslu", "dsrelu", {"expr": "-x*erf(exp(-x))"}):
        module = create(spec)
        for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
            assert torch.equal(clone(x), module(x))


def test_recommended_compile_answers_for_every_name_and_spec() -> None:
    for name in names():
        assert isinstance(recommended_compile(name), bool)
    assert isinstance(recommended_compile({"name": "coslu", "a": 2.0}), bool)
    assert isinstance(recommended_compile({"expr": "x*sigmoid(x)"}), bool)
    assert isinstance(recommended_compile({"roles": {"a": "relu", "b": "coslu"}}), bool)
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        recommended_compile("relux")


# The compile choices benchmarks/activations.py measured (2026-11-22, CPU): all True.
MEASURED_COMPILE = {
    *("coslu", "delu", "dsrelu", "eelu", "eelu_pos", "eelu_sq", "elu", "erf_softplus", "gelu"),
    *("leaky_relu", "lrelu", "mish", "relu", "relun", "sigmoid", "silu", "softplus", "swish"),
    "tanh",
}


def test_recommended_compile_is_what_each_activation_declared_at_registration() -> None:
    assert set(names()) >= MEASURED_COMPILE
    for name in names():
        declared = registry._ACTIVATIONS.get(name).extras.compile
        assert recommended_compile(name) is declared
        assert recommended_compile({"name": name}) is declared
        assert recommended_compile({"roles": {"a": name}}) is declared
        if name in MEASURED_COMPILE:
            assert declared is True, f"{name} was measured to gain from compilation"
    assert recommended_compile({"expr": "x*sigmoid(x)"}) is EXPRESSION_COMPILE is True


@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registrations made in the test are discarded after it."""
    activations = registry._ACTIVATIONS
    monkeypatch.setattr(activations, "_entries", dict(activations._entries))


@pytest.mark.usefixtures("scratch_registry")
def test_registering_with_compile_makes_it_recommended() -> None:
    registry.register("test_compiled", "test_compiled_alias", compile=True)(nn.Hardtanh)
    registry.register("test_eager")(nn.Hardtanh)
    assert recommended_compile("test_compiled") is True
    assert recommended_compile("test_compiled_alias") is True
    assert recommended_compile({"name": "test_compiled"}) is True
    assert recommended_compile("test_eager") is False
    assert recommended_compile({"roles": {"a": "test_eager"}, "default": "test_compiled"}) is True
    assert recommended_compile({"roles": {"a": "test_eager"}}) is False


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("relux", r"unknown activation 'relux'; choose one of .*coslu.*relu"),
        ({"name": "coslu", "c": 1.0}, "takes a, b; remove c"),
        ({"name": "eelu", "slope": 1.0}, "takes no parameters; remove slope"),
        ({"name": "dsrelu", "variant": "v2"}, "paper, code"),
        ({"name": "lrelu", "beta": 0.0}, "beta must be positive"),
        ({"name": "coslu", "expr": "x"}, "exactly one of 'name', 'expr' or 'roles'"),
        ({"expr": "x", "a": 1.0}, "takes no parameters; remove"),
        ({"roles": {"fc": "relu"}}, "whole-model choice"),
        (3, "not int"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        create(spec)


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "coslu", "scope": "global"},
        {"roles": {"fc": "relu"}, "scope": "everywhere"},
    ],
)
def test_bad_scope_names_the_choices(spec) -> None:
    with pytest.raises(ValueError, match="scope must be 'network' or 'layer'"):
        factory(spec)


def test_roles_reject_a_bad_activation_early() -> None:
    with pytest.raises(ValueError, match="unknown activation 'tanhh'"):
        factory({"roles": {"conv1": "tanhh"}})
