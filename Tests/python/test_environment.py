"""The binding in its environment: a clean-environment subprocess, the shared
library's dependencies and exports, the ctypes mirror vs. include/swiftpool.h, the
loader's search order and error reports, and `pip install`."""

import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import swiftpool
from swiftpool import _lib as L

REPO = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
HEADER = os.path.join(REPO, "include", "swiftpool.h")
BINDINGS = os.path.join(REPO, "bindings", "python")
PACKAGE = os.path.join(BINDINGS, "swiftpool")
HEADER_TEXT = open(HEADER).read()

# Pools a known array and checks the result against numpy's own reduction.
POOL_SNIPPET = textwrap.dedent("""
    import numpy as np, swiftpool
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 6)).astype(np.float32)
    v, i = swiftpool.max_pool2d(x, 2, return_indices=True)
    want = x.reshape(2, 3, 4, 2, 3, 2).max(axis=(3, 5))
    assert np.array_equal(v, want), "max_pool2d differs from numpy"
    a = swiftpool.avg_pool2d(x, 2)
    assert np.allclose(a, x.reshape(2, 3, 4, 2, 3, 2).mean(axis=(3, 5)), rtol=1e-6)
    print("OK", swiftpool.version(), swiftpool.library_path)
""")


def _run(argv, env, cwd=None):
    return subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)


def _pythonpath():
    return os.environ.get("PYTHONPATH") or BINDINGS


# ---------------------------------------------------------------------------------
# Clean environment
# ---------------------------------------------------------------------------------

def test_clean_environment_subprocess():
    """`env -i` keeping only PATH, PYTHONPATH and SWIFTPOOL_LIBRARY."""
    env_i = shutil.which("env")
    if env_i is None:
        pytest.skip("no env(1)")
    argv = [env_i, "-i", "PATH=" + os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH=" + _pythonpath(), "SWIFTPOOL_LIBRARY=" + swiftpool.library_path,
            sys.executable, "-c", POOL_SNIPPET]
    r = _run(argv, env=None)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK " + swiftpool.version()), r.stdout
    assert swiftpool.library_path in r.stdout


# ---------------------------------------------------------------------------------
# The shared library
# ---------------------------------------------------------------------------------

def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip("%s not installed" % name)
    return path


def test_library_has_no_swift_runtime_dependencies():
    r = _run([_tool("ldd"), swiftpool.library_path], env=None)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines, "ldd printed nothing"
    for line in lines:
        low = line.lower()
        for bad in ("libswift", "libdispatch", "libfoundation", "libblocksruntime"):
            assert bad not in low, "library depends on %s: %s" % (bad, line.strip())
        assert "not found" not in low, line


def test_library_exports_only_the_c_api():
    r = _run([_tool("nm"), "-D", "--defined-only", swiftpool.library_path], env=None)
    assert r.returncode == 0, r.stderr
    exported = set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        kind, name = parts[-2], parts[-1].split("@")[0]
        if name == "LIBSWIFTPOOL_0" and kind == "A":  # the version node
            continue
        assert name.startswith("swiftpool_"), "unexpected export: %r" % line
        exported.add(name)
    assert exported == set(_header_functions()), exported ^ set(_header_functions())


# ---------------------------------------------------------------------------------
# ctypes mirror vs. the header
# ---------------------------------------------------------------------------------

def _header_functions():
    return re.findall(r"^SWIFTPOOL_API\s+[^;()]*?\b(swiftpool_\w+)\s*\(", HEADER_TEXT, re.M)


def test_every_header_function_is_declared():
    assert sorted(_header_functions()) == sorted(L.FUNCTIONS)
    for name in L.FUNCTIONS:
        fn = getattr(L.lib, name)
        assert fn.argtypes is not None and fn.restype is not None, name
    # The prototypes kept next to the declarations match the header's.
    source = open(L.__file__).read()
    for name in L.FUNCTIONS:
        assert re.search(r"#[^\n]*\b%s\(" % name, source), "no prototype comment for " + name


def test_pool_desc_fields_match_header():
    body = re.search(r"typedef struct swiftpool_pool_desc \{(.*?)\} swiftpool_pool_desc;",
                     HEADER_TEXT, re.S).group(1)
    fields = re.findall(r"^\s*(u?int(?:8|16|32|64)_t)\s+(\w+)(\[SWIFTPOOL_MAX_SPATIAL_RANK\])?;",
                        body, re.M)
    ctypes_of = {"int32_t": ctypes.c_int32, "uint32_t": ctypes.c_uint32,
                 "int64_t": ctypes.c_int64}
    want = []
    for ctype, name, array in fields:
        t = ctypes_of[ctype]
        want.append((name, t * L.MAX_SPATIAL_RANK if array else t))
    got = L.PoolDesc._fields_
    assert [n for n, _ in got] == [n for n, _ in want]
    for (name, t), (_, w) in zip(got, want):
        if issubclass(w, ctypes.Array):
            assert issubclass(t, ctypes.Array) and t._type_ is w._type_ and \
                t._length_ == w._length_, name
        else:
            assert t is w, name


def test_pool_desc_layout_matches_c_compiler(tmp_path):
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        pytest.skip("no C compiler")
    lines = ["#include <stdio.h>", "#include <stddef.h>", '#include "swiftpool.h"',
             "#define F(f) printf(\"%s %zu %zu\\n\", #f, offsetof(swiftpool_pool_desc, f), "
             "sizeof(((swiftpool_pool_desc *)0)->f));",
             "int main(void) {",
             '    printf("sizeof %zu 0\\n", sizeof(swiftpool_pool_desc));',
             '    printf("max_rank %d 0\\n", SWIFTPOOL_MAX_SPATIAL_RANK);']
    lines += ["    F(%s)" % name for name, _ in L.PoolDesc._fields_]
    lines += ["    return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    r = _run([cc, "-std=c99", "-I", os.path.dirname(HEADER), str(src), "-o", str(exe)], env=None)
    assert r.returncode == 0, r.stderr
    out = _run([str(exe)], env=None).stdout.split("\n")
    c = {name: (int(a), int(b)) for name, a, b in (line.split() for line in out if line)}
    assert c["sizeof"][0] == ctypes.sizeof(L.PoolDesc)
    assert c["max_rank"][0] == L.MAX_SPATIAL_RANK
    for name, t in L.PoolDesc._fields_:
        assert c[name] == (getattr(L.PoolDesc, name).offset, ctypes.sizeof(t)), name


def test_constants_match_header():
    found = re.findall(r"\b(SWIFTPOOL_[A-Z0-9_]+)\s*=\s*([0-9][0-9uU ]*(?:<<\s*\d+)?)",
                       HEADER_TEXT)
    assert len(found) >= 20
    for cname, value in found:
        pyname = cname[len("SWIFTPOOL_"):]
        expected = eval(value.replace("u", "").replace("U", ""))
        assert getattr(L, pyname) == expected, cname
    for code, name in L.STATUS_NAMES.items():
        assert getattr(L, name[len("SWIFTPOOL_"):]) == code


def test_library_defaults_mirror_header_documentation():
    d = L.default_desc
    assert d.struct_size == ctypes.sizeof(L.PoolDesc)
    assert (d.dtype, d.layout, d.batch, d.channels) == (L.DTYPE_FLOAT32, L.LAYOUT_NCHW, 1, 1)
    assert list(d.padding) == [0, 0, 0] and list(d.padding_end) == [-1, -1, -1]
    assert (d.ceil_mode, d.count_include_pad, d.divisor_override, d.auto_pad, d.flags) == \
        (0, 1, 0, L.AUTO_PAD_NOTSET, 0)


# ---------------------------------------------------------------------------------
# Loader
# ---------------------------------------------------------------------------------

def _env(**extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": _pythonpath()}
    env.update(extra)
    return env


def _import_error(env):
    r = _run([sys.executable, "-c", "import swiftpool"], env=env)
    assert r.returncode != 0, r.stdout
    assert "ImportError" in r.stderr, r.stderr
    return r.stderr


def test_bad_library_path_lists_what_was_tried(tmp_path):
    missing = str(tmp_path / "nowhere" / "libswiftpool.so")
    err = _import_error(_env(SWIFTPOOL_LIBRARY=missing))
    assert "$SWIFTPOOL_LIBRARY: %s: no such file" % missing in err
    assert "no other location was searched" in err

    text_file = tmp_path / "libswiftpool.so"
    text_file.write_text("not an ELF file\n")
    err = _import_error(_env(SWIFTPOOL_LIBRARY=str(text_file)))
    assert str(text_file) in err and "cannot load" in err

    libm = ctypes.util.find_library("m")
    if libm:
        err = _import_error(_env(SWIFTPOOL_LIBRARY=libm))
        assert "does not export swiftpool_version_number" in err


def _copy_package(dest):
    shutil.copytree(PACKAGE, str(dest / "swiftpool"),
                    ignore=shutil.ignore_patterns("__pycache__", "libswiftpool.so*"))
    return dest


def test_search_order_without_environment_variable(tmp_path):
    if ctypes.util.find_library("swiftpool"):
        pytest.skip("a libswiftpool is installed system-wide")
    site = _copy_package(tmp_path / "a" / "b" / "site")
    env = _env(PYTHONPATH=str(site))
    err = _import_error(env)
    pkg = site / "swiftpool"
    assert "next to the package: %s: no file matches" % (pkg / "libswiftpool.so*") in err
    repo_build = os.path.normpath(str(pkg / ".." / ".." / ".." / "build" / "lib" /
                                      "libswiftpool.so"))
    assert "repository build: %s: no such file" % repo_build in err
    assert "system loader: libswiftpool.so.0: cannot load" in err
    assert "SWIFTPOOL_LIBRARY" in err  # the hint

    # A copy next to the package is found first.
    shutil.copy(os.path.realpath(swiftpool.library_path), str(pkg / "libswiftpool.so.0"))
    r = _run([sys.executable, "-c", POOL_SNIPPET], env=env)
    assert r.returncode == 0, r.stderr
    assert str(pkg / "libswiftpool.so.0") in r.stdout

    # The repository layout: <repo>/bindings/python/swiftpool + <repo>/build/lib.
    repo = tmp_path / "repo"
    _copy_package(repo / "bindings" / "python")
    (repo / "build" / "lib").mkdir(parents=True)
    shutil.copy(os.path.realpath(swiftpool.library_path),
                str(repo / "build" / "lib" / "libswiftpool.so"))
    r = _run([sys.executable, "-c", POOL_SNIPPET],
             env=_env(PYTHONPATH=str(repo / "bindings" / "python")))
    assert r.returncode == 0, r.stderr
    assert str(repo / "build" / "lib" / "libswiftpool.so") in r.stdout


def _fake_library(tmp_path, name, version=100, desc_size=None, omit=()):
    """A stand-in libswiftpool exporting (almost) every function, to test the
    loader's checks. Bodies are dummies; none of them is called except the version
    functions and swiftpool_pool_desc_init."""
    cc = shutil.which(os.environ.get("CC", "cc"))
    if cc is None:
        pytest.skip("no C compiler")
    size = ctypes.sizeof(L.PoolDesc) if desc_size is None else desc_size
    lines = ["#include <stdint.h>", "#include <string.h>"]
    for fn in L.FUNCTIONS:
        if fn in omit:
            continue
        if fn == "swiftpool_version_number":
            lines.append("uint32_t %s(void) { return %d; }" % (fn, version))
        elif fn in ("swiftpool_version_string", "swiftpool_status_string",
                    "swiftpool_last_error_message", "swiftpool_isa"):
            lines.append('const char *%s(void) { return "fake"; }' % fn)
        elif fn == "swiftpool_pool_desc_init":
            lines.append("int32_t %s(unsigned char *d, int32_t r) { (void)r; "
                         "memset(d, 0, %d); *(uint32_t *)d = %d; return 0; }" % (fn, size, size))
        else:
            lines.append("int32_t %s(void) { return 0; }" % fn)
    src = tmp_path / (name + ".c")
    src.write_text("\n".join(lines) + "\n")
    lib = tmp_path / (name + ".so")
    r = _run([cc, "-shared", "-fPIC", str(src), "-o", str(lib)], env=None)
    assert r.returncode == 0, r.stderr
    return str(lib)


def test_loader_rejects_incompatible_libraries(tmp_path):
    lib = _fake_library(tmp_path, "major1", version=10000)
    err = _import_error(_env(SWIFTPOOL_LIBRARY=lib))
    assert lib in err and "ABI major version 1" in err and "needs major version 0" in err

    lib = _fake_library(tmp_path, "small_desc", desc_size=ctypes.sizeof(L.PoolDesc) - 24)
    err = _import_error(_env(SWIFTPOOL_LIBRARY=lib))
    assert "swiftpool_pool_desc of %d bytes" % (ctypes.sizeof(L.PoolDesc) - 24) in err

    # A larger struct (a newer library) must not overrun the binding's buffer.
    lib = _fake_library(tmp_path, "big_desc", desc_size=ctypes.sizeof(L.PoolDesc) + 512)
    err = _import_error(_env(SWIFTPOOL_LIBRARY=lib))
    assert "swiftpool_pool_desc of %d bytes" % (ctypes.sizeof(L.PoolDesc) + 512) in err

    lib = _fake_library(tmp_path, "incomplete", omit=("swiftpool_avg_pool_forward",))
    err = _import_error(_env(SWIFTPOOL_LIBRARY=lib))
    assert "does not export swiftpool_avg_pool_forward" in err


# ---------------------------------------------------------------------------------
# Packaging
# ---------------------------------------------------------------------------------

def test_pip_install(tmp_path):
    """`pip install` of a copy of bindings/python (no build isolation, so no network)
    into a target directory; the installed package imports and pools."""
    try:
        import setuptools  # noqa: F401
    except ImportError:
        pytest.skip("setuptools not installed")
    src = tmp_path / "src"
    shutil.copytree(BINDINGS, str(src), ignore=shutil.ignore_patterns(
        "__pycache__", "build", "*.egg-info", "libswiftpool.so*"))
    target = tmp_path / "site"
    r = _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
              "--disable-pip-version-check", "--target", str(target), str(src)],
             env=dict(os.environ, PIP_NO_INPUT="1"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert (target / "swiftpool" / "functional.py").is_file()
    check = POOL_SNIPPET + textwrap.dedent("""
        import importlib.metadata
        assert importlib.metadata.version("swiftpool") == swiftpool.__version__
        print("FILE", swiftpool.__file__)
    """)
    r = _run([sys.executable, "-c", check],
             env=_env(PYTHONPATH=str(target), SWIFTPOOL_LIBRARY=swiftpool.library_path))
    assert r.returncode == 0, r.stderr
    assert "FILE " + str(target / "swiftpool") in r.stdout
