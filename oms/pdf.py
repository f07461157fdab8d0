"""PDF documents (purchase orders, invoices, packing slips ...) rendered by WeasyPrint from templates.

Templates extend ``templates/pdf/base.html`` (A4, a company header, page numbers). Images, fonts and
stylesheets under ``STATIC_URL`` are read from the static files on disk, never fetched over HTTP: a
worker has no server to ask, and a web process asking itself could deadlock. Anything else a
template links to (another host, a local file) is not fetched at all.
"""

from __future__ import annotations

import logging
import mimetypes
import multiprocessing
import os
import threading
import warnings
from functools import cache, partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.text import get_valid_filename

PDF_CONTENT_TYPE = "application/pdf"
DEFAULT_BASE_URL = "http://localhost/"


def company() -> dict:
    """Our company block for document headers: ``settings.COMPANY`` (keys name, address, district,
    province, tax_office, tax_number, phone, email, website; from the ``COMPANY_*`` environment
    variables), else empty: templates then print a neutral header."""
    return dict(getattr(settings, "COMPANY", None) or {})


def static_path(url: str) -> Path | None:
    """The file on disk behind a ``{% static %}`` URL (absolute or relative), or None."""
    prefix = urlsplit(settings.STATIC_URL).path
    prefix = prefix if prefix.startswith("/") else f"/{prefix}"
    path = unquote(urlsplit(url).path)
    if not path.startswith(prefix):
        return None
    name = path.removeprefix(prefix)
    if not name or ".." in Path(name).parts:
        return None
    try:
        if staticfiles_storage.exists(name):  # collected (and hashed) files in production
            return Path(staticfiles_storage.path(name))
    except NotImplementedError:  # a storage without local paths
        pass
    found = finders.find(name)  # development, tests, the demo
    return Path(found) if found else None


@cache
@cache
def _weasyprint():
    """WeasyPrint, imported on first use: importing it parses its stylesheets (slow, and every web
    process would pay for it at start). Its step-by-step progress log is turned down to warnings."""
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        """Serves static files from disk and ``data:`` URLs; refuses everything else."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = static_path(url)
            if path is None:
                raise ValueError(f"not fetched for a PDF: {url}")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime_type})

    return weasyprint.HTML, StaticFilesFetcher


def render_pdf(
    template_name: str,
    context: dict | None = None,
    *,
    request: HttpRequest | None = None,
    base_url: str | None = None,
) -> bytes:
    """Render a template to PDF bytes.

    ``base_url`` resolves relative links (``{% static %}`` URLs); it defaults to the request's own
    address, else a neutral one: static files are read from disk either way. ``company`` is added
    to the context for the shared header.
    """
    html = render_html(template_name, context, request=request)
    if base_url is None:
        base_url = request.build_absolute_uri("/") if request is not None else DEFAULT_BASE_URL
    return html_to_pdf(html, base_url=base_url)


def render_html(
    template_name: str, context: dict | None = None, *, request: HttpRequest | None = None
) -> str:
    """The HTML a PDF template renders to (``company`` added for the shared header)."""
    return render_to_string(template_name, {"company": company(), **(context or {})}, request=request)


def html_to_pdf(html: str, *, base_url: str = DEFAULT_BASE_URL) -> bytes:
    html_class, fetcher_class = _weasyprint()
    document = html_class(string=html, base_url=base_url, url_fetcher=fetcher_class())
    return document.write_pdf(font_config=_font_config())


# Batches at least this large are written in a child process (see ``html_to_pdfs``).
ISOLATE_FROM = 20


def html_to_pdfs(pages: list[str], *, base_url: str = DEFAULT_BASE_URL) -> list[bytes]:
    """Many PDFs at once (bulk downloads, mailings), in the order given.

    WeasyPrint keeps about 90 KB of native memory per document it lays out, which nothing in
    Python gives back (bench/RESULTS.md). A batch is therefore written by a short-lived forked
    child process that takes that memory with it when it exits: the web or worker process stays
    the size it was. The HTML is rendered here, so the child never touches the database.
    """
    if len(pages) < ISOLATE_FROM or not hasattr(os, "fork"):
        return [html_to_pdf(page, base_url=base_url) for page in pages]
    context = multiprocessing.get_context("fork")
    with warnings.catch_warnings():
        # Python warns about fork() in a process with threads; the child only runs WeasyPrint.
        warnings.simplefilter("ignore", DeprecationWarning)
        with context.Pool(processes=1) as pool:
            return pool.map(partial(html_to_pdf, base_url=base_url), pages, chunksize=10)


_fonts = threading.local()


def _font_config():
    """One WeasyPrint ``FontConfiguration`` per thread, reused: its default, a new one per
    document, keeps about 0.3 MB of native memory each that is never freed (bench/RESULTS.md,
    invoice PDFs). Safe because our templates declare no ``@font-face`` fonts."""
    config = getattr(_fonts, "config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _fonts.config = FontConfiguration()
    return config


def pdf_response(pdf: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    """An ``application/pdf`` response: shown in the browser (``inline``) or downloaded."""
    name = get_valid_filename(filename) or "document"
    if not name.lower().endswith(".pdf"):
        name = f"{name}.pdf"
    response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    response["Content-Length"] = str(len(pdf))
    response["X-Content-Type-Options"] = "nosniff"
    return response
