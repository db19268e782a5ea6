"""The text of a renewed certificate, for the verification agent to read: a PDF's text layer (pypdf), a text file
as it is. Images and scanned PDFs without a text layer have none (a reviewer reads those)."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PdfReadError

MAX_PAGES = 5
"""Pages read at most (a certificate is one or two)."""
MAX_CHARS = 20_000
"""Characters kept at most."""


def certificate_text(content_type: str, content: bytes) -> str | None:
    """The certificate's words, or None when it has none we can read."""
    if content_type == "text/plain":
        return content.decode("utf-8", errors="replace")[:MAX_CHARS]
    if content_type != "application/pdf":
        return None
    try:
        reader = PdfReader(io.BytesIO(content))
        text = "\n".join((page.extract_text() or "") for page in reader.pages[:MAX_PAGES])
    except (PdfReadError, ValueError, KeyError, TypeError) as err:  # a damaged or unusual PDF: a reviewer reads it
        logging.getLogger(__name__).info("certificate PDF not readable: %s", err)
        return None
    return text[:MAX_CHARS] if text.strip() else None


def simple_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (Helvetica; for tests and examples of a certificate)."""
    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = "BT /F1 14 Tf 72 760 Td 18 TL " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >>"
        " >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
