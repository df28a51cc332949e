"""repub.warc: WARC files in and out (``repub import --warc``, ``repub export --warc``), on warcio."""
