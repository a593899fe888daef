"""Scale-out: a dask.distributed cluster of worker processes evaluates a partitioned DataFrame
with map_partitions and gets exactly what evaluate_frame gives in one process. The rule set
travels to the workers by pickle (as its sources)."""

import dask
import pandas as pd
from dask import dataframe as dd
from dask.distributed import Client, LocalCluster

import thresholds
from test_batch import random_records


def test_map_partitions_on_a_local_cluster_equals_evaluate_frame():
    rs = thresholds.default()
    records = random_records(rs, 1200, seed=12, unknown=0.6)
    df = pd.DataFrame.from_records(records)
    want = rs.evaluate_frame(df)
    # dask turns object columns into strings by default; facts columns keep their values.
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.from_pandas(df, npartitions=6)
    meta = rs.evaluate_frame(df.iloc[:0])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            got = ddf.map_partitions(rs.evaluate_frame, meta=meta).compute()
            # The work ran in the worker processes, not in this one.
            assert len(client.scheduler_info()["workers"]) == 2
    assert got.index.equals(want.index)
    pd.testing.assert_frame_equal(got, want)
    assert want["level"].notna().all() and (want["status"] == "provisional").any()
