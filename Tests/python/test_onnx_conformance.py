"""ONNX conformance: every pooling node case shipped in the `onnx` package
(onnx.backend.test.case.node.collect_testcases) and the pooling models under
onnx/backend/test/data/pytorch-converted, run through swiftpool.onnx.

The expected outputs are the ones stored in the onnx package. The session prints
how many cases passed (see conftest's terminal summary hook)."""

import os
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402

import swiftpool.onnx as sponnx  # noqa: E402

POOL_OPS = {
    "MaxPool": "max_pool",
    "AveragePool": "average_pool",
    "LpPool": "lp_pool",
    "GlobalMaxPool": "global_max_pool",
    "GlobalAveragePool": "global_average_pool",
    "GlobalLpPool": "global_lp_pool",
    "MaxUnpool": "max_unpool",
    "MaxRoiPool": "max_roi_pool",
}

RESULTS = {"passed": 0, "failed": 0}


def _node_cases():
    from onnx.backend.test.case import node as node_cases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node_cases.collect_testcases(None)
    out = []
    for case in cases:
        nodes = list(case.model.graph.node)
        if len(nodes) == 1 and nodes[0].op_type in POOL_OPS:
            for i, (inputs, outputs) in enumerate(case.data_sets or []):
                out.append(pytest.param(nodes[0], inputs, outputs, id="%s[%d]" % (case.name, i)))
    return out


def _converted_cases():
    root = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "pytorch-converted")
    out = []
    for name in sorted(os.listdir(root)):
        model_path = os.path.join(root, name, "model.onnx")
        if not os.path.exists(model_path):
            continue
        model = onnx.load(model_path)
        nodes = [n for n in model.graph.node if n.op_type != "Constant"]
        if len(nodes) != 1 or nodes[0].op_type not in POOL_OPS:
            continue
        for ds in sorted(d for d in os.listdir(os.path.join(root, name)) if d.startswith("test_data_set")):
            folder = os.path.join(root, name, ds)
            def load(prefix):
                files = sorted(f for f in os.listdir(folder) if f.startswith(prefix))
                return [numpy_helper.to_array(onnx.load_tensor(os.path.join(folder, f))) for f in files]
            out.append(pytest.param(nodes[0], load("input_"), load("output_"), id="%s/%s" % (name, ds)))
    return out


NODE_CASES = _node_cases()
CONVERTED_CASES = _converted_cases()


def _run(node, inputs, outputs):
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    for key, value in list(attrs.items()):
        if isinstance(value, bytes):
            attrs[key] = value.decode()
    fn = getattr(sponnx, POOL_OPS[node.op_type])
    kwargs = dict(attrs)
    if node.op_type == "MaxPool" and len(node.output) > 1 and node.output[1]:
        kwargs["return_indices"] = True
    got = fn(*inputs, **kwargs)
    got = list(got) if isinstance(got, tuple) else [got]
    assert len(got) >= len(outputs)
    try:
        for g, want in zip(got, outputs):
            g = np.asarray(g)
            assert g.shape == want.shape, (g.shape, want.shape)
            assert g.dtype == want.dtype, (g.dtype, want.dtype)
            if np.issubdtype(want.dtype, np.floating):
                # The ONNX backend test runner's tolerances: some stored expectations
                # are rounded by hand to 4 digits (e.g. averagepool_2d_ceil_last_window_*).
                np.testing.assert_allclose(g, want, rtol=1e-3, atol=1e-7)
            else:
                np.testing.assert_array_equal(g, want)
    except AssertionError:
        RESULTS["failed"] += 1
        raise
    RESULTS["passed"] += 1


def test_cases_were_found():
    # Guards against a silently empty conformance run.
    assert len(NODE_CASES) >= 50, len(NODE_CASES)
    assert len(CONVERTED_CASES) >= 10, len(CONVERTED_CASES)


@pytest.mark.parametrize("node,inputs,outputs", NODE_CASES)
def test_onnx_node_case(node, inputs, outputs):
    _run(node, inputs, outputs)


@pytest.mark.parametrize("node,inputs,outputs", CONVERTED_CASES)
def test_onnx_pytorch_converted_case(node, inputs, outputs):
    _run(node, inputs, outputs)
