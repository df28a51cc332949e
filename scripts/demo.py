"""`make demo`: serve the fixture sites on 127.0.0.1 and import the TMS case and its RT original.

Everything goes through the real `repub` command, with a host map sending the real hostnames
(www.transcend.org, www.rt.com, ...) to the local server; ./repub.db keeps the real URLs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from webserver import FIXTURE_SITES, TestWeb  # noqa: E402

CASE_URL = (
    "https://www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-"
    "americas-global-imperialism-is-it-time-for-washington-to-panic/"
)
RT_URL = "https://www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"


def repub(*args: str, env: dict[str, str]) -> None:
    command = [str(Path(sys.executable).with_name("repub")), *args]
    print(f"\n$ repub {' '.join(args)}", flush=True)
    result = subprocess.run(command, env=env, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"demo: `repub {args[0]}` exited with {result.returncode}")


def main() -> None:
    hosts = sorted(p.name for p in FIXTURE_SITES.iterdir() if p.is_dir())
    with TestWeb() as web:
        # www.e-ir.info has no fixture pages: its links answer 404, as a dead original would
        env = dict(os.environ, REPUB_HOST_MAP=web.host_map(*hosts, "www.e-ir.info"))
        env.pop("REPUB_DATABASE_URL", None)
        env.setdefault("REPUB_DB", str(ROOT / "repub.db"))
        print(f"fixture sites served at {web.base} for: {', '.join(hosts)}")
        print(f"database: {env['REPUB_DB']}")
        repub("import", CASE_URL, env=env)
        repub("show", CASE_URL, env=env)
        repub("show", RT_URL, env=env)
        repub("list", env=env)
        print("\nScheduled ingestion from sources.toml (the TMS feed, wp-sitemap and category pages),")
        print("twice: the second run finds nothing new.")
        repub("ingest", "--sources", str(ROOT / "sources.toml"), env=env)
        repub("ingest", "--sources", str(ROOT / "sources.toml"), env=env)
        repub("runs", env=env)


if __name__ == "__main__":
    main()
