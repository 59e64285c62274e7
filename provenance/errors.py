"""Typed errors. Library code raises these; the CLI turns them into `Error: ...` and exit 1."""


class ProvenanceError(Exception):
    """Base of every error a user can act on."""


class FetchError(ProvenanceError):
    """A URL could not be fetched (network, HTTP status, size, content type, policy)."""


class Unavailable(FetchError):
    """A fetch that failed for now (timeouts, resets, HTTP 429 and 5xx) after its retries: worth trying
    again on a later run, unlike a 404 or a refused content type."""


class BlockedAddress(FetchError):
    """The URL's host is on a loopback, private, link-local or reserved address."""


class ExtractionError(ProvenanceError):
    """A page held no article text that trafilatura could find."""


class InputError(ProvenanceError):
    """A file given to ingest could not be read (missing, truncated, binary, unknown type)."""


class Busy(ProvenanceError):
    """Another run (`provenance watch`) holds the database's lock."""


class NotOurDatabase(ProvenanceError):
    """The --db file exists but is not a news-provenance database."""


class OutletError(ProvenanceError):
    """An outlet definition in scrapers/ is invalid."""


class ParallelError(ProvenanceError):
    """Parallel analysis could not go on: Dask missing, its scheduler unreachable, a worker killed."""
