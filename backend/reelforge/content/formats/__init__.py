"""One reader per document format, all feeding content.documents' text builder."""
