"""Compare ways to keep a validated knowledge base between runs, in one process.

Usage: python benchmarks/formats.py DATA_DIR [--runs N]

For the knowledge base in DATA_DIR (make one with make_kb.py) it prints, for each
format, the size on disk and the best time of N loads: pickle of the records (what
softbank_kb.cache keeps), and JSON re-validated by pydantic, which must also build
every record type's validator first (timed apart, as a fresh process pays it once).
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import time
from pathlib import Path

from softbank_kb.jsondata import record_dict
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import COLLECTIONS, KnowledgeBase, without_garbage_collection


def best_of(runs: int, action: object) -> float:
    """The shortest wall time of `runs` calls of `action`."""
    assert callable(action)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with without_garbage_collection():
            action()
        times.append(time.perf_counter() - started)
    return min(times)


def _validator_build_seconds() -> float:
    """What building every record type's validator costs a fresh process."""
    code = (
        "import time\n"
        "from pydantic import TypeAdapter\n"
        "from softbank_kb.models import COLLECTIONS\n"
        "started = time.perf_counter()\n"
        "for model in COLLECTIONS.values():\n"
        "    TypeAdapter(list[model])\n"
        "print(time.perf_counter() - started)\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        for _ in range(3)
    ]
    return min(float(run.stdout) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from pydantic import TypeAdapter

    kb = load_knowledge_base(args.data_dir)
    pickled = pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
    as_json = json.dumps(
        {name: [record_dict(r) for r in getattr(kb, name)] for name in COLLECTIONS}
    ).encode()
    adapters = {name: TypeAdapter(list[model]) for name, model in COLLECTIONS.items()}
    build = _validator_build_seconds()

    def from_json() -> KnowledgeBase:
        document = json.loads(as_json)
        return KnowledgeBase(
            **{name: tuple(adapters[name].validate_python(document[name])) for name in adapters}
        )

    records = tuple(kb.records())
    assert tuple(from_json().records()) == records == tuple(pickle.loads(pickled).records())
    print(f"{len(kb):,} records; Python {sys.version.split()[0]}; best of {args.runs}")
    unpickle = best_of(args.runs, lambda: pickle.loads(pickled))
    print(f"pickle  {len(pickled) / 1e6:6.1f} MB  load {unpickle:.3f} s")
    print(
        f"json    {len(as_json) / 1e6:6.1f} MB  load {best_of(args.runs, from_json):.3f} s"
        f"  (+ {build:.3f} s to build the validators)"
    )


if __name__ == "__main__":
    main()
