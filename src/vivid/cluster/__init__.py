"""Batches beyond one machine: the same library calls as ``vivid enhance``, run by workers on a Ray cluster.

- :mod:`vivid.cluster.storage`: inputs and outputs as local paths or fsspec URLs (``s3://``, ``gs://``,
  ``file://``, ``memory://``), listed once and written atomically (a temporary name, then a move).
- :mod:`vivid.cluster.manifest`: what a batch finished (input content hash, plan hash, status), kept in the
  output so that a rerun skips it.
- :mod:`vivid.cluster.worker`: one worker: a model cache loaded once, then ``enhance_file`` per item.
- :mod:`vivid.cluster.pool`: where workers run: in this process, or as Ray actors (one per CPU), with
  dead workers replaced.
- :mod:`vivid.cluster.batch`: the driver: skip what is finished, hand out the rest, retry a bounded number
  of times, record every outcome.

Ray is an optional extra (``pip install 'vivid-restore[ray]'``); nothing here imports it until asked to.
"""
