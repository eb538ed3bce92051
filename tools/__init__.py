"""Developer tools that run from a source checkout and are not part of the runtime wheel.

``demo`` and ``demo_data`` (``make demo``), ``devstack`` (a throw-away Airflow for tests and
benchmarks: it writes a clear-text admin password, never for production), ``bench``
(``intakeflow bench``), ``bench_model`` (the model alone in CPU time, artifacts side by
side), ``bench_parse`` (HL7 parse rate per core, fast path beside the whole parse),
``bench_archive`` (``make bench-archive``), ``bench_celery`` (``make bench-celery``),
``bench_mllp`` (``python -m tools.bench_mllp``: the MLLP listener's ACKs after commit per
second) and ``presidio_baseline`` (the peer baseline ``intakeflow bench``
compares against). They import the runtime (``intakeflow``); the runtime never imports them.
"""
