"""Books: EPUB and PDF metadata read from files under a books root."""
