"""news-provenance: who said it first, through which articles it travelled, what changed."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/news-provenance/news-provenance"
