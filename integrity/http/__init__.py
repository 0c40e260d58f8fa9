"""HTTP plumbing shared by every domain, with no domain rules: problem documents, security headers,
streamed multipart, ranges, uploads, downloads and conditional requests."""
