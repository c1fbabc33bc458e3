"""Input readers: bilingual documents, line-aligned parallel files, TSV/CSV/JSONL tables.

Every reader decodes with `read_text` (encoding detected, CRLF normalised) and raises
`evalkit.errors.InputError` naming the file, line and fix.
"""

from __future__ import annotations

from evalkit.io.document import Document, read_document
from evalkit.io.encoding import Decoded, read_text
from evalkit.io.parallel import Parallel, read_lines, read_parallel

__all__ = ["Decoded", "Document", "Parallel", "read_document", "read_lines", "read_parallel", "read_text"]
