"""Which process of a distributed run writes the bundle (no TensorFlow).

``training.distribute: multi_worker`` runs the same ``train`` command on every machine of
a cluster that the ``TF_CONFIG`` environment variable describes (TensorFlow's own
convention, set by Kubernetes operators, Slurm scripts or by hand). Every worker trains;
only the chief writes anything: the task of type ``chief``, or worker 0 when the cluster
names no chief.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..data.share import Share

TF_CONFIG = "TF_CONFIG"


@dataclass(frozen=True)
class ClusterRole:
    task_type: str | None  # None: not a multi-worker run
    task_index: int
    n_workers: int  # processes that train together
    cluster_has_chief: bool = False

    @property
    def is_chief(self) -> bool:
        return self.task_type in (None, "chief") or (
            self.task_type == "worker" and self.task_index == 0 and not self.cluster_has_chief
        )

    @property
    def rank(self) -> int:
        """This process's place among those that train: the chief, then the workers."""
        if self.task_type == "worker" and self.cluster_has_chief:
            return self.task_index + 1
        return self.task_index

    def share_of_series(self, id_column: str | None) -> Share | None:
        """Of several series (an ``id_column``) under ``multi_worker``, this worker's
        share of them; else None (this process alone, or a single series: every worker
        reads it, and takes a share of each batch)."""
        if self.n_workers == 1 or id_column is None:
            return None
        from ..data.share import Share  # numpy and pandas: not before the bundle's lock

        return Share(self.rank, self.n_workers)

    def describe(self) -> str:
        return f"{self.task_type} {self.task_index} of {self.n_workers}"


SINGLE = ClusterRole(None, 0, 1)


def cluster_role(distribute: str, environ: Mapping[str, str] = os.environ) -> ClusterRole:
    """This process's role under ``training.distribute``; without ``multi_worker`` it is
    the only process, and writes.

    Raises:
        ConfigError: ``multi_worker`` without a usable ``TF_CONFIG``.
    """
    if distribute != "multi_worker":
        return SINGLE
    text = environ.get(TF_CONFIG, "").strip()
    if not text:
        raise ConfigError(
            "training.distribute is multi_worker but TF_CONFIG is not set; it must name "
            'the cluster and this task, e.g. {"cluster": {"worker": ["host1:12345", '
            '"host2:12345"]}, "task": {"type": "worker", "index": 0}}',
            where=TF_CONFIG,
        )
    try:
        spec = json.loads(text)
        cluster, task = spec["cluster"], spec["task"]
        task_type, task_index = task["type"], task["index"]
        workers = {name: list(hosts) for name, hosts in cluster.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"not a TF_CONFIG of the form {{'cluster': {{...}}, 'task': {{'type': ..., "
            f"'index': ...}}}} ({type(exc).__name__}: {exc})",
            where=TF_CONFIG,
        ) from None
    if task_type not in ("chief", "worker") or not isinstance(task_index, int):
        raise ConfigError(
            f"task {task!r}: lstm-forecast runs as a chief or worker task with an integer index",
            where=TF_CONFIG,
        )
    if task_index < 0 or task_index >= len(workers.get(task_type, [])):
        raise ConfigError(
            f"task {task_type} {task_index} is not in the cluster {workers!r}", where=TF_CONFIG
        )
    trainers = len(workers.get("chief", [])) + len(workers.get("worker", []))
    return ClusterRole(task_type, task_index, trainers, cluster_has_chief="chief" in workers)
