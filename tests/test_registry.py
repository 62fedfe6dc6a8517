"""The generic name → builder registry that activations, models and dataset sources share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actstudy import registry
from actstudy.registry import Registry, declared_names


def make() -> Registry:
    return Registry("widget", hint=", or build your own")


def test_a_name_or_alias_registered_twice_is_one_sentence():
    widgets = make()
    widgets.register("a", "b", extras=None)(len)
    with pytest.raises(ValueError, match=r"^widget name 'b' is registered twice$"):
        widgets.register("b", extras=None)(len)
    with pytest.raises(ValueError, match=r"^widget name 'c' is registered twice$"):
        widgets.register("c", "c", extras=None)(len)


def test_an_unknown_name_lists_the_choices_and_the_hint():
    widgets = make()
    widgets.register("b", extras=None)(len)
    widgets.register("a", extras=None)(len)
    expected = "unknown widget 'z'; choose one of a, b, or build your own"
    with pytest.raises(ValueError, match=f"^{expected}$"):
        widgets.get("z")
    with pytest.raises(ValueError, match="unknown widget 'z'"):
        widgets.source_file("z")


def test_names_are_sorted_and_aliases_share_the_entry():
    widgets = make()
    widgets.register("zeta", "alpha", extras={"scope": "layer"})(len)
    widgets.register("mid", extras=None)(max)
    assert widgets.names() == ["alpha", "mid", "zeta"]
    alias, name = widgets.get("alpha"), widgets.get("zeta")
    assert alias == name and alias.name == "zeta" and alias.builder is len
    assert alias.extras == {"scope": "layer"}


def test_the_registering_file_is_recorded_or_given():
    widgets = make()
    widgets.register("here", extras=None)(len)
    widgets.register("there", extras=None, source_file="/plugins/mine.py")(len)
    assert widgets.source_file("here") == __file__
    assert widgets.source_file("there") == "/plugins/mine.py"


def test_a_lazy_name_imports_its_module_on_first_use_only(tmp_path, monkeypatch):
    (tmp_path / "lazy_widgets.py").write_text(
        "from test_registry_lazy import WIDGETS\nWIDGETS.register('late', extras=3)(len)\n"
    )
    widgets = Registry("widget", lazy=lambda: {"late": "lazy_widgets"})
    module = type(sys)("test_registry_lazy")
    module.WIDGETS = widgets
    monkeypatch.setitem(sys.modules, "test_registry_lazy", module)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_widgets", raising=False)
    assert widgets.names() == ["late"] and "lazy_widgets" not in sys.modules
    assert widgets.get("late").extras == 3
    assert widgets.source_file("late") == str(tmp_path / "lazy_widgets.py")


def test_declared_names_reads_the_calls_that_write_the_name_out(tmp_path, monkeypatch):
    package = tmp_path / "widget_pack"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "one.py").write_text(
        'import heavy_library_never_imported\n@register_widget("first", size=2)\ndef f(): ...\n'
        'register_widget("second")(f)\nregister_widget(computed)(f)\nother("third")\n'
        'g = register_widget("mid_line")(f)\n'
    )
    (package / "two.py").write_text("x = 1  # registers nothing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._scan.cache_clear()
    found = declared_names("widget_pack", "register_widget")
    assert found == {"first": "widget_pack.one", "second": "widget_pack.one"}
    assert "widget_pack.one" not in sys.modules


def test_the_built_in_sources_are_found_without_importing_their_modules():
    code = (
        "import sys; from actstudy.data import sources; names = sources.source_names(); "
        "print(','.join(names), 'torchvision' in sys.modules, "
        "'actstudy.data.digits' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[1:] == ["False", "False"]
    assert {"digits", "cifar10", "fashion_mnist", "mitdb", "synthetic_signals"} <= set(
        out[0].split(",")
    )


def test_each_built_in_source_is_registered_by_the_module_it_is_read_from():
    from actstudy.data import sources

    for name, module in declared_names("actstudy.data", "register_source").items():
        assert Path(sources.source_file(name)).stem == module.rsplit(".", 1)[1], name
