"""ONNX export: each learner on its own (calibrated), and the served ensemble as ONE graph.

The ensemble graph feeds the input `features` (float32 [N, F]) to the three member graphs, takes the weighted
mean of their probabilities and applies the Platt calibration, so serving is a single session.run and the
worker cannot combine the members differently from training. Converted with onnxmltools (XGBoost, LightGBM)
and skl2onnx (the scaler + logistic regression pipeline). Graph and node names are fixed, so the same models
always serialise to the same bytes (the version name is a prefix of that hash).
"""
from __future__ import annotations

import numpy as np
import onnx
import onnxmltools
from onnx import TensorProto, helper, numpy_helper
from onnxmltools.convert.common.data_types import FloatTensorType
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType as SklFloatTensorType
from sklearn.linear_model import LogisticRegression

from .calibration import EPS, PlattCalibrator
from .learners import proba

INPUT_NAME = "features"
OUTPUT_NAME = "probabilities"
MAIN_OPSET = 15
ML_OPSET = 3
IR_VERSION = 8


def convert_member(name: str, model, n_features: int) -> onnx.ModelProto:
    """The learner's own graph; its `probabilities` output is [N, 3] in class-id order."""
    initial = [(INPUT_NAME, FloatTensorType([None, n_features]))]
    if name == "xgboost":
        m = onnxmltools.convert_xgboost(model, name=name, initial_types=initial, target_opset=MAIN_OPSET)
    elif name == "lightgbm":
        m = onnxmltools.convert_lightgbm(model, name=name, initial_types=initial, target_opset=MAIN_OPSET, zipmap=False)
    elif name == "logreg":
        m = convert_sklearn(model, name=name, initial_types=[(INPUT_NAME, SklFloatTensorType([None, n_features]))],
                            target_opset={"": MAIN_OPSET, "ai.onnx.ml": ML_OPSET},
                            options={LogisticRegression: {"zipmap": False}})
    else:
        raise ValueError(f"no ONNX converter for learner {name}")
    outputs = [o.name for o in m.graph.output]
    if OUTPUT_NAME not in outputs:
        raise SystemExit(f"{name}: ONNX outputs {outputs} have no '{OUTPUT_NAME}'; update models/pipeline/export.py")
    return m


def _const(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name=name)


def compose(members: list[tuple[str, onnx.ModelProto, float]], calibrator: PlattCalibrator, graph_name: str,
            n_features: int) -> onnx.ModelProto:
    """One graph: features -> each member -> weighted mean of probabilities -> Platt calibration."""
    nodes, initializers = [], []
    weighted = []
    for name, model, weight in members:
        prefix = f"{name}/"
        g = onnx.compose.add_prefix(model, prefix=prefix).graph
        nodes.append(helper.make_node("Identity", [INPUT_NAME], [prefix + INPUT_NAME], name=f"{prefix}input"))
        nodes.extend(g.node)
        initializers.extend(g.initializer)
        probs = prefix + OUTPUT_NAME
        if len(members) == 1:
            weighted.append(probs)
        else:
            initializers.append(_const(f"{prefix}weight", np.array(weight)))
            nodes.append(helper.make_node("Mul", [probs, f"{prefix}weight"], [f"{prefix}weighted"], name=f"{prefix}weigh"))
            weighted.append(f"{prefix}weighted")
    if len(weighted) == 1:
        nodes.append(helper.make_node("Identity", weighted, ["mixed"], name="mix"))
    else:
        nodes.append(helper.make_node("Sum", weighted, ["mixed"], name="mix"))

    # Platt calibration: softmax(log(clip(p, eps, 1)) @ coef.T + intercept)
    initializers += [
        _const("calibration/eps", np.array(EPS)),
        _const("calibration/one", np.array(1.0)),
        _const("calibration/coef_t", calibrator.coef.T),
        _const("calibration/intercept", calibrator.intercept),
    ]
    nodes += [
        helper.make_node("Clip", ["mixed", "calibration/eps", "calibration/one"], ["calibration/clipped"], name="calibration/clip"),
        helper.make_node("Log", ["calibration/clipped"], ["calibration/log"], name="calibration/log"),
        helper.make_node("MatMul", ["calibration/log", "calibration/coef_t"], ["calibration/scaled"], name="calibration/matmul"),
        helper.make_node("Add", ["calibration/scaled", "calibration/intercept"], ["calibration/logits"], name="calibration/add"),
        helper.make_node("Softmax", ["calibration/logits"], [OUTPUT_NAME], name="calibration/softmax", axis=-1),
    ]
    graph = helper.make_graph(
        _needed(nodes, OUTPUT_NAME), graph_name,
        inputs=[helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [None, n_features])],
        outputs=[helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None, 3])],
        initializer=initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", MAIN_OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)],
        producer_name="temporal-trader models/train.py",
        ir_version=IR_VERSION,
    )
    _drop_unused_initializers(model)
    onnx.checker.check_model(model)
    return model


def _needed(nodes, output: str):
    """The nodes the output depends on, in their original (topological) order: converters also emit label
    branches (ArgMax, casts) that serving never reads."""
    needed_values = {output}
    keep = [False] * len(nodes)
    for i in range(len(nodes) - 1, -1, -1):
        if any(o in needed_values for o in nodes[i].output):
            keep[i] = True
            needed_values.update(x for x in nodes[i].input if x)
    return [n for n, k in zip(nodes, keep) if k]


def _drop_unused_initializers(model: onnx.ModelProto) -> None:
    used = {x for n in model.graph.node for x in n.input}
    kept = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)


def native_ensemble(natives: dict, weights: dict[str, float], calibrator: PlattCalibrator, X: np.ndarray) -> np.ndarray:
    """The same ensemble with each library's own predict: what the ONNX graph must reproduce."""
    mixed = sum(weights[name] * proba(model, X) for name, model in natives.items())
    return calibrator.transform(mixed)
