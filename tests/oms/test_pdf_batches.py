"""Many PDFs at once: the same documents, in order, whether written here or in a child process."""

import os
import subprocess

from oms import pdf


def _pages(count: int) -> list[str]:
    # Document n has n pages, so the order of the results can be told from the PDFs themselves.
    return ["".join('<p style="break-after: page">x</p>' for _ in range(n)) for n in range(1, count + 1)]


def _page_count(document: bytes, tmp_path) -> int:
    path = tmp_path / "doc.pdf"
    path.write_bytes(document)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _writer_pid(html: str, **kwargs) -> bytes:
    return str(os.getpid()).encode()


def test_a_large_batch_is_written_in_order_by_a_child_process(tmp_path, monkeypatch):
    documents = pdf.html_to_pdfs(_pages(pdf.ISOLATE_FROM))
    assert [_page_count(d, tmp_path) for d in documents] == list(range(1, pdf.ISOLATE_FROM + 1))
    # Which process wrote them: not this one (the child takes WeasyPrint's leftovers with it).
    monkeypatch.setattr(pdf, "html_to_pdf", _writer_pid)
    writers = set(pdf.html_to_pdfs(["x"] * pdf.ISOLATE_FROM))
    assert len(writers) == 1
    assert writers != {str(os.getpid()).encode()}


def test_a_small_batch_is_written_here(tmp_path, monkeypatch):
    documents = pdf.html_to_pdfs(_pages(3))
    assert [_page_count(d, tmp_path) for d in documents] == [1, 2, 3]
    monkeypatch.setattr(pdf, "html_to_pdf", _writer_pid)
    assert set(pdf.html_to_pdfs(["x", "y"])) == {str(os.getpid()).encode()}
