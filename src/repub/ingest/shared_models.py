"""Imported last of ``repub.ingest.extraction.WORKER_MODULES``, by the process the extraction workers
are forked from (the run, ``repub.ingest.helpers``, or else their fork server), never merely by
importing the run's code: the models every worker reads, loaded once before any worker is forked, so
that the workers (and the store process) share one copy of their memory instead of each loading its
own on its first page.

What it saves, measured with ``bench/profile_import.py`` (PSS, 2 cores): py3langid's model was ~73 MB
in a process when read into it, and two workers loading it each held two copies; it is now mapped from
repub's cache (``repub.extract.langmodel``), so it is mapped once and the workers share its pages and
the ~4 MB of lists py3langid builds over it. The Public Suffix List trie (tldextract, ~5 MB) likewise.
Multiprocessing documents the fork server's preload for this ("avoid repeated work in every
process"); the run's own fork before any thread does the same. Each worker's first page is also
~0.3 s faster (the model is loaded before the first page comes).
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
