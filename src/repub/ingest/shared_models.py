"""Loaded by the extraction workers' fork server only (``repub.ingest.extraction.WORKER_MODULES``),
never by the run's own process: the models every worker reads, loaded once before any worker is
forked, so that the workers (and the store process) share one copy of their memory instead of each
loading its own on its first page.

What it saves, measured with ``bench/profile_import.py`` (PSS, 2 cores): py3langid's model is ~73 MB
in a process (a 100,053 x 142 float16 matrix and ~100k Python lists of its feature automaton); two
workers loading it each held two copies. The Public Suffix List trie (tldextract, ~5 MB) likewise.
Multiprocessing documents the fork server's preload for this ("avoid repeated work in every
process"). Each worker's first page is also ~0.3 s faster (the model is read while the run starts).
"""

from __future__ import annotations

import gc

from repub.extract.language import load_model
from repub.hosts import registrable_domain

load_model()
registrable_domain("www.example.co.uk")  # builds tldextract's trie
# The garbage collector writes into every object it visits: a worker's first full collection would
# copy each page of the model's ~100k lists into the worker. Frozen objects are never visited (the
# documented use of gc.freeze: "to avoid copy-on-write in child processes").
gc.freeze()
