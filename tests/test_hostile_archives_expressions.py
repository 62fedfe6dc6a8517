"""Hostile archives (bombs, too many members, lying headers, chained links) and hostile formulas
(unbounded exponents, look-alike letters, deep nesting): each is refused with one sentence and
writes nothing; the positive controls show that genuine inputs still pass."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest
import torch

from actstudy.activations import Expression
from actstudy.data.archives import (
    DEFAULT_MAX_BYTES,
    MAX_BYTES_VARIABLE,
    MAX_MEMBERS_VARIABLE,
    MAX_RATIO_VARIABLE,
    gunzip,
    unpacked,
)

MIB = 1 << 20
ZEROS = bytes(MIB)


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(autouse=True)
def default_limits(monkeypatch) -> None:
    monkeypatch.delenv(MAX_BYTES_VARIABLE, raising=False)
    monkeypatch.delenv(MAX_MEMBERS_VARIABLE, raising=False)


def _zeros_zip(path: Path, members: dict[str, int]) -> None:
    """A zip of members holding that many zero bytes each, deflated while streamed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for name, size in members.items():
            with zipped.open(name, "w", force_zip64=size > 1 << 31) as member:
                for _ in range(size // MIB):
                    member.write(ZEROS)
                member.write(bytes(size % MIB))


def _tar(path: Path, members: list[tuple[str, str, bytes | str | int]]) -> None:
    """A tar.gz of (name, kind, payload): a file's bytes, a link's target, or the size that a
    header alone (no data) declares."""
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                assert isinstance(payload, bytes)
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            elif kind == "header":
                assert isinstance(payload, int)
                info.size = payload
                tar.addfile(info)
            else:
                assert isinstance(payload, str)
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = payload
                tar.addfile(info)


def _sparse_tar(path: Path, declared: int, pieces: list[tuple[int, int]]) -> None:
    """A tar.gz with one old-GNU sparse member whose header declares ``declared`` bytes while its
    map places ``pieces`` (offset, length) of zeros: a header that lies."""
    stored = sum(length for _, length in pieces)
    info = tarfile.TarInfo("big.bin")
    info.type = tarfile.GNUTYPE_SPARSE
    info.size = stored
    header = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    for index, (offset, length) in enumerate(pieces):
        at = 386 + 24 * index
        header[at : at + 24] = b"%011o\0%011o\0" % (offset, length)
    header[483:495] = b"%011o\0" % declared
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header[:512])
    padding = bytes(-stored % 512)
    body = bytes(header[:512]) + bytes(stored) + padding + bytes(1024)
    path.write_bytes(gzip.compress(body))


def _lying_zip(path: Path, real: int, declared: int) -> None:
    """A zip whose one member holds ``real`` zero bytes while both its headers declare
    ``declared``."""
    _zeros_zip(path, {"big.bin": real})
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    data[local + 22 : local + 26] = struct.pack("<I", declared)
    data[central + 24 : central + 28] = struct.pack("<I", declared)
    path.write_bytes(bytes(data))


def _refused_unpack(tmp_path: Path, archive: Path, **limits: int) -> str:
    """Unpack ``archive`` beside tmp_path/unpack, expecting a refusal that writes nothing; its
    sentence."""
    before = _listing(tmp_path)
    beside = tmp_path / "unpack"
    with pytest.raises(ValueError) as caught, unpacked(archive, beside, **limits):
        pytest.fail("a hostile archive was unpacked")
    assert _listing(beside) == []
    assert set(_listing(tmp_path)) - set(before) <= {"unpack"}
    assert not (tmp_path / "outside").exists()
    message = str(caught.value)
    assert message.count("; ") <= 1 and ". " not in message
    return message


ARCHIVES = {
    "zip bomb, limit from the environment": (
        lambda path: _zeros_zip(path / "bomb.zip", {"zeros.bin": 64 * MIB}),
        {MAX_BYTES_VARIABLE: str(MIB)},
        {},
        "bomb.zip is refused because it would unpack to 67,108,864 bytes (64.0 MiB), more than "
        "the limit of 1,048,576 bytes (1.0 MiB); if the archive is genuine, raise "
        f"{MAX_BYTES_VARIABLE} to fit it, otherwise delete it and rerun",
    ),
    "zip bomb, limit as an argument": (
        lambda path: _zeros_zip(path / "bomb.zip", {f"z{i}.bin": 8 * MIB for i in range(4)}),
        {},
        {"max_bytes": 16 * MIB},
        "bomb.zip is refused because it would unpack to 33,554,432 bytes (32.0 MiB), more than "
        "the limit of 16,777,216 bytes (16.0 MiB); if the archive is genuine",
    ),
    "tar header declaring more than the default limit": (
        lambda path: _tar(path / "huge.tar.gz", [("huge.bin", "header", DEFAULT_MAX_BYTES + 1)]),
        {},
        {},
        "huge.tar.gz is refused because it would unpack to at least 17,179,869,185 bytes "
        "(16.0 GiB), more than the limit of 17,179,869,184 bytes (16.0 GiB); if the archive is "
        f"genuine, raise {MAX_BYTES_VARIABLE} to fit it",
    ),
    "zip with too many members": (
        lambda path: _zeros_zip(path / "many.zip", {f"f{i}.txt": 1 for i in range(50)}),
        {MAX_MEMBERS_VARIABLE: "10"},
        {},
        "many.zip is refused because it holds 50 members, more than the limit of 10; if the "
        f"archive is genuine, raise {MAX_MEMBERS_VARIABLE} to fit it, otherwise delete it and "
        "rerun",
    ),
    "tar with too many members": (
        lambda path: _tar(path / "many.tar.gz", [(f"f{i}.txt", "file", b"x") for i in range(50)]),
        {},
        {"max_members": 10},
        "many.tar.gz is refused because it holds at least 11 members, more than the limit of 10",
    ),
    "zip whose headers declare less than its member holds": (
        lambda path: _lying_zip(path / "lying.zip", real=8 * MIB, declared=1024),
        {MAX_BYTES_VARIABLE: str(64 * 1024)},
        {},
        "lying.zip is corrupt or truncated (Bad CRC-32 for file 'big.bin'); delete it and rerun, "
        "or place a good copy",
    ),
    "sparse tar member whose map reaches past its declared size": (
        lambda path: _sparse_tar(path / "lying.tar.gz", declared=1024, pieces=[(0, 8 * MIB)]),
        {MAX_BYTES_VARIABLE: str(64 * 1024)},
        {},
        "lying.tar.gz is refused because its member 'big.bin' holds more data than its header "
        "declares (1,024 bytes); delete the archive and rerun, or place a genuine copy",
    ),
    "sparse tar member writing more than its declared size": (
        lambda path: _sparse_tar(path / "lying.tar.gz", declared=1024, pieces=[(0, 1024)] * 4),
        {},
        {},
        "lying.tar.gz is refused because its member 'big.bin' holds more data than its header "
        "declares (1,024 bytes)",
    ),
    "symbolic link to a link that climbs out": (
        lambda path: _tar(
            path / "chain.tar.gz", [("a", "symlink", "b"), ("b", "symlink", "../../outside")]
        ),
        {},
        {},
        "chain.tar.gz is refused because its member 'b' links to '../../outside' outside its "
        "folder (a path traversal); delete the archive and rerun",
    ),
    "symbolic link escaping only through another link": (
        lambda path: _tar(
            path / "chain.tar.gz",
            [("d/b", "symlink", ".."), ("d/a", "symlink", "b/d/b/../../../../outside")],
        ),
        {},
        {},
        "chain.tar.gz is refused because its member 'd/a' links to 'b/d/b/../../../../outside', "
        "which leads outside its folder through other links in the archive (a path traversal); "
        "delete the archive and rerun, or place a genuine copy",
    ),
    "symbolic link sent outside by a later link": (
        lambda path: _tar(
            path / "chain.tar.gz", [("d/a", "symlink", "c/c/../../.."), ("d/c", "symlink", ".")]
        ),
        {},
        {},
        "chain.tar.gz is refused because its member 'd/a' links to 'c/c/../../..', which leads "
        "outside its folder through other links in the archive (a path traversal)",
    ),
    "file written outside through a link": (
        lambda path: _tar(
            path / "chain.tar.gz",
            [("d/b", "symlink", ".."), ("d/b/d/b/../../../../outside/evil.txt", "file", b"x")],
        ),
        {},
        {},
        "chain.tar.gz is refused because its member 'd/b/d/b/../../../../outside/evil.txt' would "
        "be written outside its folder through links in the archive (a path traversal)",
    ),
    "symbolic links in a loop": (
        lambda path: _tar(
            path / "loop.tar.gz",
            [("a", "symlink", "b"), ("b", "symlink", "a"), ("a/evil.txt", "file", b"x")],
        ),
        {},
        {},
        "loop.tar.gz is refused because its member 'b' links to 'a', which goes round a loop of "
        "links; delete the archive and rerun",
    ),
}


@pytest.mark.hostile
@pytest.mark.parametrize("case", ARCHIVES, ids=list(ARCHIVES))
def test_hostile_archive_is_refused_and_writes_nothing(tmp_path, monkeypatch, case):
    build, environment, limits, sentence = ARCHIVES[case]
    build(tmp_path)
    (archive,) = tmp_path.iterdir()
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    message = _refused_unpack(tmp_path, archive, **limits)
    assert message.startswith(f"{tmp_path}/{sentence}"), message


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("variable", "value"), [(MAX_BYTES_VARIABLE, "lots"), (MAX_MEMBERS_VARIABLE, "0")]
)
def test_a_bad_unpacking_limit_is_one_sentence(tmp_path, monkeypatch, variable, value):
    _tar(tmp_path / "fine.tar.gz", [("a.txt", "file", b"a")])
    monkeypatch.setenv(variable, value)
    message = _refused_unpack(tmp_path, tmp_path / "fine.tar.gz")
    assert message == (
        f"the environment variable {variable} must be a whole number of at least 1, "
        f"not {value!r}; fix or unset it"
    )


@pytest.mark.hostile
def test_a_1_gib_zip_bomb_is_refused_before_writing_under_the_default_limits(tmp_path):
    archive = tmp_path / "fruits.zip"
    with (
        zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zipped,
        zipped.open("zeros.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(64):
            member.write(bytes(16 * MIB))  # 1 GiB of zeros, a few MB packed
    message = _refused_unpack(tmp_path, archive)  # which checks that nothing was written
    assert message.startswith(f"{archive} is refused because its ")
    assert "would unpack to 1,073,741,824 bytes (1.0 GiB), more than 100 times its size" in message
    assert MAX_RATIO_VARIABLE in message


@pytest.mark.hostile
def test_a_gzip_bomb_is_stopped_by_its_expansion_while_streaming(tmp_path):
    packed = tmp_path / "train-labels-idx1-ubyte.gz"
    with gzip.open(packed, "wb", compresslevel=1) as sink:
        for _ in range(160):
            sink.write(ZEROS)
    target = tmp_path / "train-labels-idx1-ubyte"
    before = _listing(tmp_path)
    with pytest.raises(ValueError, match=r"more than 100 times its size \(a zip bomb\)"):
        gunzip(packed, target)
    assert _listing(tmp_path) == before and not target.exists()


@pytest.mark.hostile
def test_gzip_bomb_is_stopped_while_streaming_and_leaves_nothing(tmp_path):
    packed = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(packed, "wb") as sink:
        for _ in range(64):
            sink.write(ZEROS)
    assert packed.stat().st_size < MIB // 4
    target = tmp_path / "raw" / "train-images-idx3-ubyte"
    target.parent.mkdir()
    before = _listing(tmp_path)
    with pytest.raises(ValueError) as caught:
        gunzip(packed, target, max_bytes=4 * MIB)
    assert str(caught.value) == (
        f"{packed} is refused because it unpacked to more than the limit of 4,194,304 bytes "
        f"(4.0 MiB) and was stopped; if it is genuine, raise {MAX_BYTES_VARIABLE} to fit it, "
        "otherwise delete it and rerun"
    )
    assert _listing(tmp_path) == before and not target.exists()


def test_genuine_archives_within_the_limits_unpack(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_MEMBERS_VARIABLE, "4")
    monkeypatch.setenv(MAX_BYTES_VARIABLE, str(2 * MIB))
    _zeros_zip(tmp_path / "fine.zip", {"a.bin": MIB, "b/c.bin": MIB})
    with unpacked(tmp_path / "fine.zip", tmp_path / "u") as folder:
        assert (folder / "b" / "c.bin").read_bytes() == ZEROS
    members = [
        ("d/a.txt", "file", b"hello"),
        ("d/alias", "symlink", "a.txt"),
        ("d/alias2", "symlink", "alias"),
        ("e/up", "symlink", "../d/alias2"),
    ]
    _tar(tmp_path / "fine.tar.gz", members)
    with unpacked(tmp_path / "fine.tar.gz", tmp_path / "u") as folder:
        assert (folder / "e" / "up").read_bytes() == b"hello"
    _sparse_tar(tmp_path / "sparse.tar.gz", declared=4096, pieces=[(0, 512), (2048, 512)])
    with unpacked(tmp_path / "sparse.tar.gz", tmp_path / "u") as folder:
        assert (folder / "big.bin").read_bytes() == bytes(4096)
    assert _listing(tmp_path / "u") == []


def test_genuine_gzip_file_is_decompressed(tmp_path):
    packed = tmp_path / "labels.gz"
    packed.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + bytes(range(10))))
    gunzip(packed, tmp_path / "labels", max_bytes=14)
    assert (tmp_path / "labels").read_bytes() == b"\x00\x00\x08\x01" + bytes(range(10))


FORMULAS = {
    "exponent that depends on x": (
        "x**(x*0+100)",
        "the exponent 'x * 0 + 100' in the activation formula depends on x, so its size cannot "
        "be checked; a power of an expression in x takes a constant exponent in [-16, 16], "
        "as in x**2",
    ),
    "exponent of x in the exponent": ("x**x**2", "the exponent 'x ** 2' in the activation"),
    "folded constant exponent": (
        "x**(2**10)",
        "the exponent 1024 in the activation formula is too large; constant exponents must lie "
        "in [-16, 16]",
    ),
    "Cyrillic x": (
        "\u0445",
        "the activation formula '\u0445' has the non-ASCII character '\u0445' (U+0445 CYRILLIC "
        "SMALL LETTER HA) at position 1; type it in ASCII, as in x*sigmoid(x)",
    ),
    "Cyrillic exp": (
        "\u0435\u0445\u0440(x)",
        "the activation formula '\u0435\u0445\u0440(x)' has the non-ASCII character '\u0435' "
        "(U+0435 CYRILLIC SMALL LETTER IE) at position 1",
    ),
    "Cyrillic x inside": (
        "x*sigmoid(\u0445)",
        "the activation formula 'x*sigmoid(\u0445)' has the non-ASCII character '\u0445' "
        "(U+0445 CYRILLIC SMALL LETTER HA) at position 11",
    ),
    "fullwidth x, which Python would read as x": (
        "\uff58",
        "the activation formula '\uff58' has the non-ASCII character '\uff58' (U+FF58 "
        "FULLWIDTH LATIN SMALL LETTER X) at position 1",
    ),
    "40 nested calls": (
        "sin(" * 40 + "x" + ")" * 40,
        "the activation formula nests deeper than 32 levels; simplify it",
    ),
    "40 nested parentheses": (
        "(x+" * 40 + "x" + ")" * 40,
        "the activation formula nests deeper than 32 levels; simplify it",
    ),
}


@pytest.mark.hostile
@pytest.mark.parametrize("case", FORMULAS, ids=list(FORMULAS))
def test_hostile_formula_is_refused_and_writes_nothing(tmp_path, monkeypatch, case):
    formula, sentence = FORMULAS[case]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as caught:
        Expression(formula)
    assert str(caught.value).startswith(sentence), str(caught.value)
    assert _listing(tmp_path) == []


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("+".join(["x"] * 33), lambda x: 33 * x),
        ("x*x*x-" + "-".join(["x"] * 33), lambda x: x**3 - 33 * x),
        ("x**2", lambda x: x**2),
        ("x**0.5", torch.sqrt),
        ("x**(2**3)", lambda x: x**8),
        ("2**x", lambda x: 2**x),
        ("exp(x)", torch.exp),
        ("-x*erf(exp(-x))", lambda x: -x * torch.erf(torch.exp(-x))),
        ("x*erf(exp(x))**2", lambda x: x * torch.erf(torch.exp(x)) ** 2),
        ("sin(" * 30 + "x" + ")" * 30, lambda x: _repeat(torch.sin, x, 30)),
    ],
)
def test_genuine_formulas_still_work(formula, expected):
    x = torch.tensor([0.25, 0.5, 1.5, 3.0], dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(Expression(formula)(x), expected(x))


def _repeat(function, x: torch.Tensor, times: int) -> torch.Tensor:
    for _ in range(times):
        x = function(x)
    return x
