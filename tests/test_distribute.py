"""training.distribute: who writes in a multi-worker run, and two workers on localhost."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from lstm_forecast.data.share import Share
from lstm_forecast.errors import ConfigError
from lstm_forecast.nn import compat
from lstm_forecast.nn.compat import check_keras_for_multi_worker, check_keras_tuner
from lstm_forecast.workflows.cluster import cluster_role

from .helpers import monthly_frame, start_process, write_config, write_csv


def tf_config(task_type: str, index: int, **cluster: list[str]) -> dict[str, str]:
    return {
        "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})
    }


HOSTS = ["127.0.0.1:1", "127.0.0.1:2"]


def test_without_multi_worker_this_process_writes_whatever_tf_config_says() -> None:
    role = cluster_role("mirrored", tf_config("worker", 1, worker=HOSTS))
    assert role.is_chief and role.n_workers == 1


@pytest.mark.parametrize(
    ("environ", "chief", "workers"),
    [
        (tf_config("worker", 0, worker=HOSTS), True, 2),
        (tf_config("worker", 1, worker=HOSTS), False, 2),
        (tf_config("chief", 0, chief=["127.0.0.1:3"], worker=HOSTS), True, 3),
        (tf_config("worker", 0, chief=["127.0.0.1:3"], worker=HOSTS), False, 3),
    ],
)
def test_the_chief_is_the_chief_task_or_else_worker_0(
    environ: dict[str, str], chief: bool, workers: int
) -> None:
    role = cluster_role("multi_worker", environ)
    assert role.is_chief is chief and role.n_workers == workers


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TF_CONFIG: training.distribute is multi_worker but TF_CONFIG is not set"),
        ({"TF_CONFIG": "{not json"}, "TF_CONFIG: not a TF_CONFIG of the form"),
        ({"TF_CONFIG": '{"cluster": {}}'}, "KeyError: 'task'"),
        (tf_config("worker", 2, worker=HOSTS), "task worker 2 is not in the cluster"),
        (tf_config("ps", 0, ps=HOSTS), "runs as a chief or worker task"),
    ],
)
def test_an_unusable_tf_config_is_a_config_error(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        cluster_role("multi_worker", environ)
    assert message in caught.value.message


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def epoch_losses(stderr: str) -> list[float]:
    """The training loss of each epoch, from train's progress lines."""
    return [float(line.split()[3]) for line in stderr.splitlines() if line.startswith("epoch ")]


def baseline_loss(stderr: str) -> tuple[float, str]:
    """The baseline's validation loss train reports, and over how many windows."""
    found = re.search(r"against ([0-9.e+-]+) for the .*; (\d+ windows)\)", stderr)
    assert found is not None, stderr
    return float(found[1]), found[2]


def test_validate_refuses_multi_worker_without_tf_config(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        write_csv(tmp_path / "sales.csv", monthly_frame()),
        training={"distribute": "multi_worker"},
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    for command in ("validate", "train"):
        done = start_process(command, config, env=env)
        out, err = done.communicate(timeout=120)
        assert done.returncode == 2 and out == ""
        assert err.strip().splitlines() == [
            "lstm-forecast: error: TF_CONFIG: training.distribute is multi_worker but "
            "TF_CONFIG is not set; it must name the cluster and this task, e.g. "
            '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": '
            '"worker", "index": 0}}'
        ]
    assert not (tmp_path / "run").exists()


def two_workers(tmp_path: Path, config: Path) -> list[tuple[str, str]]:
    """``train config`` by two workers on 127.0.0.1: each one's stdout and stderr."""
    hosts = [f"127.0.0.1:{port}" for port in free_ports(2)]
    workers = []
    for index in range(2):
        env = {**os.environ, **tf_config("worker", index, worker=hosts)}
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
        # Worker 1 is pointed at its own output folder: it must leave it unmade.
        output = tmp_path / ("run" if index == 0 else "worker_run")
        workers.append(start_process("train", config, "--set", f"output.dir={output}", env=env))
    results = []
    try:
        for worker in workers:
            results.append(worker.communicate(timeout=300))
    finally:
        for worker in workers:
            worker.kill()
    for worker, (out, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0, err
        assert "model" in out and "seasonal_naive" in out  # both print the test table
    assert "worker 1 of 2: the chief writes the bundle" in results[1][1]
    assert "bundle written to" in results[0][1]
    assert not (tmp_path / "worker_run").exists()
    # Both trained the same network on every series: their test tables and losses agree.
    assert results[0][0] == results[1][0]
    losses = [epoch_losses(err) for _, err in results]
    assert losses[0] == losses[1] and len(losses[0]) == 3
    return results


def one_process(tmp_path: Path, config: Path) -> str:
    """``train config`` in one process (no TF_CONFIG): its stderr."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    single = start_process(
        "train",
        config,
        "--set",
        "training.distribute=none",
        "--set",
        f"output.dir={tmp_path / 'single'}",
        env=env,
    )
    _, err = single.communicate(timeout=300)
    assert single.returncode == 0, err
    shutil.rmtree(tmp_path / "single")
    return err


@pytest.mark.slow
def test_two_workers_on_localhost_train_one_model_and_only_the_chief_writes(
    tmp_path: Path,
) -> None:
    csv = write_csv(tmp_path / "sales.csv", monthly_frame(96))
    config = write_config(
        tmp_path,
        csv,
        training={"distribute": "multi_worker", "epochs": 3, "batch_size": 8},
        model={"baseline": "seasonal_naive"},  # one network (auto would train two here)
    )
    results = two_workers(tmp_path, config)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml", "run", "sales.csv"]
    # One series: every worker reads it. The batch is global (8 windows, 4 per worker):
    # one process with batch 8 follows nearly the same path (the sums run in another order).
    assert "its share of the series" not in results[0][1] + results[1][1]
    assert epoch_losses(one_process(tmp_path, config)) == pytest.approx(
        epoch_losses(results[0][1]), rel=0.02
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    predict = start_process("predict", tmp_path / "run", env=env)
    out, err = predict.communicate(timeout=120)
    assert predict.returncode == 0, err
    assert len(out.strip().splitlines()) == 1 + 6  # header and the horizon


# Ids a CRC-32 shares out four and four between two workers (tests/test_share.py).
STORES = [f"store{k}" for k in range(8)]


@pytest.mark.slow
def test_two_workers_each_read_only_their_half_of_a_partitioned_dataset(tmp_path: Path) -> None:
    """Issue 38, item 2: over a hive-partitioned Parquet dataset, each worker reads only
    the series a hash of their id gives it, they decide and score together, and the chief
    writes one bundle of every series; with the same windows in every step, they train as
    one process does."""
    assert [Share(0, 2).holds(store) for store in STORES] == [True] * 4 + [False] * 4
    frames = [
        monthly_frame(96, seed=k).assign(store=store, sales=lambda f, k=k: f.sales * (1 + k / 4))
        for k, store in enumerate(STORES)
    ]
    whole = pd.concat(frames, ignore_index=True)
    whole["month"] = pd.to_datetime(whole["month"])
    whole.to_parquet(tmp_path / "sales", partition_cols=["store"], index=False)
    config = write_config(
        tmp_path,
        tmp_path / "sales",
        data={"id_column": "store", "freq": "MS"},
        # A batch that holds every training window (8 x 61; each worker's half, 4 x 61):
        # each step sees the same windows in both runs. No dropout: each replica draws
        # its own masks for its part of the batch, where one process draws one for all.
        training={"distribute": "multi_worker", "epochs": 3, "batch_size": 1024},
        model={"baseline": "seasonal_naive", "dropout": 0.0},
    )
    results = two_workers(tmp_path, config)
    for index, (_, err) in enumerate(results):
        assert (
            f"worker {index} of 2 read its share of the series (by a hash of the series id): "
            "4 of 8 series, 384 of 768 rows"
        ) in err
    # Every series is in the bundle, its metrics and its forecast.
    bundle = tmp_path / "run"
    record = json.loads((bundle / "preprocessing.json").read_text())
    assert sorted(s["id"] for s in record["series"]) == STORES
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert sorted(metrics["series"]) == STORES and metrics["origins"] == 8 * 7
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    predict = start_process("predict", bundle, env=env)
    out, err = predict.communicate(timeout=120)
    assert predict.returncode == 0, err
    assert len(out.strip().splitlines()) == 1 + 8 * 6
    # The same global batch, and the same windows in it: the losses are one process's
    # (as printed, to four decimals; the gradients are summed in another order). Where a
    # batch is a sample of the windows, each worker draws its half from its own series
    # and one process from all: near, not equal (benchmarks/README.md).
    alone = one_process(tmp_path, config)
    assert epoch_losses(alone) == pytest.approx(epoch_losses(results[0][1]), abs=1.5e-4)
    # What the network starts from, an output of zeros, does not depend on the draws: its
    # validation loss over every worker's windows is one process's over all of them.
    loss, windows = baseline_loss(alone)
    for _, err in results:
        assert baseline_loss(err) == (pytest.approx(loss, rel=1e-5), windows)


@pytest.mark.slow
def test_mirrored_trains_on_the_local_devices(tmp_path: Path) -> None:
    from lstm_forecast.config import load_config
    from lstm_forecast.workflows.train import train

    config = write_config(
        tmp_path,
        write_csv(tmp_path / "sales.csv", monthly_frame()),
        training={"distribute": "mirrored"},
    )
    report = train(load_config(config))
    assert report.run_dir == tmp_path / "run" and (report.run_dir / "model.onnx").is_file()


@pytest.mark.parametrize(
    ("check", "distribution", "setting"),
    [
        (check_keras_for_multi_worker, "keras", "training.distribute"),
        (check_keras_tuner, "keras-tuner", "keras-tuner=="),
    ],
)
def test_a_work_around_refuses_a_release_it_was_not_written_for(
    monkeypatch: pytest.MonkeyPatch, check: Callable[[], None], distribution: str, setting: str
) -> None:
    """multi_worker and tune replace private methods of one Keras (KerasTuner) release."""
    check()  # the locked releases pass
    version = compat.metadata.version

    def newer(name: str) -> str:
        return "99.1.0" if name == distribution else version(name)

    monkeypatch.setattr(compat.metadata, "version", newer)
    with pytest.raises(ConfigError, match=r"this is .*99\.1\.0") as refused:
        check()
    assert setting in refused.value.message


GATHER = """
import json, os, sys
import numpy as np
from lstm_forecast.data.share import Share, gathered_json, pooled_median
from lstm_forecast.nn import exchange
from lstm_forecast.nn.exchange import StrategyWorkers, strategy_for

exchange.GATHER_CHUNK = 8  # int32 words a collective: the arrays below take several
index = int(sys.argv[1])
workers = StrategyWorkers.joined(strategy_for("multi_worker"), Share(index, 2))
mine = [
    np.array([1.5, np.nan, -np.inf, 1e-300]) * (index + 1),
    np.arange(index * 3, dtype=np.int64),  # worker 0: empty
    np.array(["Zürich", "東京"][: index + 1]),
    np.frombuffer(b"odd" + b"!" * index, dtype=np.uint8),  # not a multiple of 4 bytes
    np.arange(300 + 7 * index, dtype=np.int64),  # lengths that end in different chunks
    np.asfortranarray(np.arange(6.0).reshape(2, 3) + index),
]
gathered = [[part.tolist() for part in workers.gather(a)] for a in mine]
values = np.arange(100.0)[index::2]
print(json.dumps({
    "arrays": gathered,
    "json": gathered_json(workers, {"worker": index, "ids": ["a", None]}),
    "median": pooled_median(workers, values),
}, allow_nan=True))
"""


@pytest.mark.slow
def test_workers_gather_numbers_and_text_exactly_in_worker_order(tmp_path: Path) -> None:
    hosts = [f"127.0.0.1:{port}" for port in free_ports(2)]
    processes = []
    for index in range(2):
        env = {
            **os.environ,
            **tf_config("worker", index, worker=hosts),
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", GATHER, str(index)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    outputs = [p.communicate(timeout=180) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
    seen = [json.loads(out) for out, _ in outputs]
    assert seen[0] == seen[1]
    arrays = seen[0]["arrays"]
    assert arrays[0][0][:1] == [1.5] and arrays[0][1][0] == 3.0 and arrays[0][1][2] == -math.inf
    assert math.isnan(arrays[0][0][1]) and arrays[0][1][3] == 2e-300
    assert arrays[1] == [[], [0, 1, 2]]
    assert arrays[2] == [["Zürich"], ["Zürich", "東京"]]
    assert arrays[3] == [list(b"odd"), list(b"odd!")]
    assert arrays[4] == [list(range(300)), list(range(307))]
    assert arrays[5] == [[[0, 1, 2], [3, 4, 5]], [[1, 2, 3], [4, 5, 6]]]
    assert seen[0]["json"] == [{"worker": 0, "ids": ["a", None]}, {"worker": 1, "ids": ["a", None]}]
    assert seen[0]["median"] == 49.5
