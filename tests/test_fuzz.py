"""Generated files and configs through ``validate``, ``train`` and ``predict``: whatever a
user can write, the tool either accepts it (exit 0) or says what is wrong in one line
(exit 2), never an internal error (exit 1)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from lstm_forecast.nn.onnx_graph import ALLOWED_OPERATORS, MAX_GRAPH_DEPTH

from .bundles import SharedBundle
from .helpers import TINY, run_cli, sets

# How the time column may be written, and the frequency a user might (or might not) give.
TIME_SHAPES = {
    "month": ("%Y-%m", "MS"),
    "date": ("%Y-%m-%d", "D"),
    "day_first": ("%d/%m/%Y", "D"),
    "year": ("%Y", "YS"),
    "hour": ("%Y-%m-%d %H:%M", "h"),
    "iso": ("%Y-%m-%dT%H:%M:%S", "h"),
}

odd_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
    st.sampled_from(["", "n/a", "NaN", "inf", "-", "1e400", "abc", "1,5", " 3 ", '"4"', "é"]),
)
plain_cells = st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}")
# Sales like the bundle's (trained in log units, so new values must be positive too).
positive_cells = st.floats(50, 500).map(lambda v: f"{v:.2f}")


def rarely(
    common: st.SearchStrategy[object], odd: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    """``odd`` about one draw in eight, else ``common``: most cases go deep."""
    return st.integers(0, 7).flatmap(lambda k: odd if k == 0 else common)


@st.composite
def data_files(
    draw: st.DrawFn, min_length: int = 0, odd_one_in: int = 4
) -> tuple[str, dict[str, object]]:
    """CSV text and the ``data`` section a user might write for it; an odd edit to the
    times or a cell about one file in ``odd_one_in`` each."""
    shape = draw(st.sampled_from(sorted(TIME_SHAPES)))
    time_format, freq = TIME_SHAPES[shape]
    n_series = draw(st.integers(1, 3))
    length = draw(st.integers(min_length, 60))
    start = pd.Timestamp("2001-01-01")
    times = pd.date_range(start, periods=length, freq=freq)
    written = [t.strftime(time_format) for t in times]
    if draw(st.integers(1, odd_one_in)) == 1 and written:  # a gap, a repeat, a swap or garbage
        i = draw(st.integers(0, len(written) - 1))
        edit = draw(st.sampled_from(["drop", "repeat", "swap", "garbage"]))
        if edit == "drop":
            written.pop(i)
        elif edit == "repeat":
            written.insert(i, written[i])
        elif edit == "swap" and i + 1 < len(written):
            written[i], written[i + 1] = written[i + 1], written[i]
        elif edit == "garbage":
            written[i] = draw(st.sampled_from(["", "not a date", "2001-13-45", "0"]))
    names = {
        "time": draw(st.sampled_from(["time", " time", "time ", "Time"])),
        "target": draw(st.sampled_from(["y", "y ", " sales", "sales"])),
        "feature": draw(st.sampled_from(["x", "temp", ""])),
        "id": draw(st.sampled_from(["id", "store", "symbol"])),
    }
    long_format = n_series > 1
    header = [names["time"], names["target"], names["feature"]]
    if long_format:
        header.insert(0, names["id"])
    lines = [",".join(f'"{h}"' if draw(st.booleans()) else h for h in header)]
    for series in range(n_series):
        for t in written:
            row = [t, draw(plain_cells), draw(plain_cells)]
            if long_format:
                row.insert(0, f"s{series}")
            lines.append(",".join(row))
    if draw(st.integers(1, odd_one_in)) == 1 and len(lines) > 1:  # one odd cell somewhere
        i = draw(st.integers(1, len(lines) - 1))
        cells = lines[i].split(",")
        cells[draw(st.integers(len(cells) - 2, len(cells) - 1))] = str(draw(odd_cells))
        lines[i] = ",".join(cells)
    data: dict[str, object] = {
        "time_column": names["time"].strip(),
        "target": draw(rarely(st.just(names["target"].strip()), st.just("missing_column"))),
    }
    if names["feature"] and draw(st.booleans()):
        data["features"] = [names["feature"]]
    if long_format and draw(st.booleans()):  # a user may forget the id column
        data["id_column"] = names["id"]
    if draw(st.integers(0, 3)) == 0:
        data["freq"] = draw(rarely(st.just(freq), st.sampled_from(["M", "ME", "Q", "W", "bogus"])))
    if draw(st.booleans()):
        data["missing"] = draw(st.sampled_from(["error", "drop", "ffill", "interpolate"]))
    return "\n".join(lines) + "\n", data


# Mostly sensible windows and splits, so most cases reach the data (config errors have
# their own tests); now and then not.
parts = rarely(st.sampled_from([0, 4, 8, 0.1, 0.25]), st.floats(0.0, 1.0))
configs = st.fixed_dictionaries(
    {
        "window": st.fixed_dictionaries(
            {
                "lookback": rarely(st.integers(1, 8), st.integers(-1, 0)),
                "horizon": rarely(st.integers(1, 4), st.integers(-1, 0)),
            }
        ),
        "split": st.fixed_dictionaries({"validation": parts, "test": parts}),
    }
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=data_files(), sections=configs, encoding=rarely(st.just("utf-8"), st.just("latin-1")))
def test_validate_never_fails_with_an_internal_error(
    data: tuple[str, dict[str, object]], sections: dict[str, object], encoding: str
) -> None:
    text, data_section = data
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "data.csv"
        csv.write_bytes(text.encode(encoding, errors="replace"))
        config = {"data": {"path": str(csv), **data_section}, **sections}
        config["output"] = {"dir": str(Path(folder) / "run")}
        path = Path(folder) / "config.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        code, _, err = run_cli("validate", path)
    assert code in (0, 2), err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("lstm-forecast: error: "), err


@pytest.mark.slow
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=data_files(min_length=30, odd_one_in=12), sections=configs)
def test_train_never_fails_with_an_internal_error(
    data: tuple[str, dict[str, object]], sections: dict[str, object]
) -> None:
    """The same files and configs through train (a one-epoch network, to keep it quick):
    what validate accepts trains, or is refused in one error line after any warnings."""
    text, data_section = data
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "data.csv"
        csv.write_text(text, encoding="utf-8")
        config = {"data": {"path": str(csv), **data_section}, **sections}
        config["output"] = {"dir": str(Path(folder) / "run")}
        path = Path(folder) / "config.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        code, _, err = run_cli("train", path, "--quiet", *sets(*TINY, "training.epochs=1"))
        written = (Path(folder) / "run" / "manifest.json").is_file()
    event(f"train exit {code}")  # --hypothesis-show-statistics: how many cases trained
    assert code in (0, 2), err
    assert written == (code == 0)
    if code == 2:
        errors = [line for line in err.strip().splitlines() if "error:" in line]
        assert errors == [err.strip().splitlines()[-1]], err
        assert errors[0].startswith("lstm-forecast: error: "), err


@pytest.fixture(scope="module")
def monthly_bundle(shared_sales: SharedBundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shared_sales.copy(tmp_path_factory.mktemp("bundle"))


@st.composite
def new_monthly_data(draw: st.DrawFn) -> str:
    """What a cron job might hand predict for a monthly ``month,sales`` bundle."""
    length = draw(st.integers(0, 30))
    freq = draw(rarely(st.just("MS"), st.sampled_from(["D", "YS", "ME"])))
    times = pd.date_range("2010-01-01", periods=length, freq=freq)
    written = [t.strftime(draw(rarely(st.just("%Y-%m"), st.just("%Y-%m-%d")))) for t in times]
    header = draw(
        rarely(
            st.just("month,sales"),
            st.sampled_from(["month, sales", "sales,month", "month,revenue", "store,month,sales"]),
        )
    )
    lines = [header]
    for t in written:
        value = draw(positive_cells)
        row = {"month,sales": [t, value], "month, sales": [t, value], "sales,month": [value, t]}
        lines.append(",".join(row.get(header, ["north", t, value][-len(header.split(",")) :])))
    if draw(st.integers(0, 3)) == 0 and len(lines) > 2:
        i = draw(st.integers(1, len(lines) - 1))
        edit = draw(st.sampled_from(["drop", "repeat", "odd"]))
        if edit == "drop":
            lines.pop(i)
        elif edit == "repeat":
            lines.insert(i, lines[i])
        else:
            cells = lines[i].split(",")
            cells[-1] = str(draw(odd_cells))
            lines[i] = ",".join(cells)
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=new_monthly_data())
# Too few rows, one of them 0: the refusal alone, not the log floor's warning before it.
@example(text="month,sales\n2010-01-01,0.0\n" + "".join(f"2010-0{m}-01,50\n" for m in range(2, 9)))
def test_predict_never_fails_with_an_internal_error(monthly_bundle: Path, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "new.csv"
        data.write_text(text, encoding="utf-8")
        code, out, err = run_cli("predict", monthly_bundle, "--data", data)
    assert code in (0, 2), err
    if code == 0:
        assert len(out.strip().splitlines()) == 1 + 6  # header and the horizon
    else:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("lstm-forecast: error: "), err


# ONNX graphs as a crafted bundle could hold them: operators allowed or not, attribute kinds
# and tensor storage our export writes or not, subgraphs. The check passes exactly the
# graphs that hold only what is allowed, and refuses every other with a BundleError.
ONNX_OPERATORS = ["Identity", "MatMul", "LSTM", "Loop", "If", "Upsample", "RunMe"]
STORAGE = ["raw", "external flag", "external entry"]


@st.composite
def onnx_tensors(draw: st.DrawFn) -> tuple[Any, bool]:
    import numpy as np
    from onnx import TensorProto, numpy_helper

    tensor = numpy_helper.from_array(np.ones(2, dtype=np.float32), "t")
    storage = draw(st.sampled_from(STORAGE))
    if storage == "external flag":
        tensor.data_location = TensorProto.EXTERNAL
    elif storage == "external entry":
        tensor.external_data.add(key="location", value="secret.txt")
    return tensor, storage == "raw"


@st.composite
def onnx_attributes(draw: st.DrawFn, depth: int) -> tuple[Any, bool]:
    import numpy as np
    from onnx import helper, numpy_helper

    kind = draw(st.sampled_from(["int", "ints", "string", "float", "tensor", "graph", "sparse"]))
    if kind == "tensor":
        tensor, ok = draw(onnx_tensors())
        return helper.make_attribute("t", tensor), ok
    if kind == "graph":
        graph, ok, deepest = draw(onnx_graphs(depth + 1))
        return helper.make_attribute("body", graph), ok and deepest <= MAX_GRAPH_DEPTH
    if kind == "sparse":
        values = numpy_helper.from_array(np.ones(1, dtype=np.float32), "v")
        indices = numpy_helper.from_array(np.zeros(1, dtype=np.int64), "i")
        return helper.make_attribute("s", helper.make_sparse_tensor(values, indices, [2])), False
    value = {"int": 1, "ints": [1, 2], "string": "x", "float": 0.5}[kind]
    return helper.make_attribute("a", value), True


@st.composite
def onnx_graphs(draw: st.DrawFn, depth: int = 1) -> tuple[Any, bool, int]:
    """A graph, whether everything in it is allowed, and its deepest nesting."""
    from onnx import helper

    ok, deepest, nodes = True, depth, []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(ONNX_OPERATORS))
        domain = draw(rarely(st.just(""), st.just("x.custom")))
        node = helper.make_node(op, ["x"], ["y"], domain=domain or None)
        ok &= op in ALLOWED_OPERATORS and not domain
        for _ in range(draw(st.integers(0, 2) if depth < 4 else st.just(0))):
            attribute, allowed = draw(onnx_attributes(depth))
            node.attribute.append(attribute)
            ok &= allowed
            if attribute.HasField("g"):
                deepest = max(deepest, depth + 1)
        nodes.append(node)
    initializers = [draw(onnx_tensors()) for _ in range(draw(st.integers(0, 2)))]
    ok &= all(allowed for _, allowed in initializers)
    graph = helper.make_graph(nodes, "g", [], [], initializer=[t for t, _ in initializers])
    return graph, ok, deepest


@settings(max_examples=300, deadline=None)
@given(drawn=onnx_graphs())
def test_the_onnx_check_passes_exactly_the_allowed_graphs(drawn: tuple[Any, bool, int]) -> None:
    from onnx import helper

    from lstm_forecast.errors import BundleError
    from lstm_forecast.nn.onnx_graph import check_onnx_graph

    graph, allowed, _ = drawn
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    content = model.SerializeToString()
    if allowed:
        check_onnx_graph(content, Path("model.onnx"))
    else:
        with pytest.raises(BundleError, match="refused before parsing"):
            check_onnx_graph(content, Path("model.onnx"))
