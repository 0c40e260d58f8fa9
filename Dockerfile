# The platform's image: Python 3.11, the package installed, run as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Tesseract and its Serbian (Cyrillic and Latin) and English data: the leak check reads every file
# to be published with it, and nothing can be approved without it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-srp tesseract-ocr-srp-latn tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /home/integrity integrity \
    && mkdir -p /var/lib/integrity /run/integrity-keys \
    && chown integrity:integrity /var/lib/integrity /run/integrity-keys

WORKDIR /app
COPY pyproject.toml README.md ./
COPY integrity ./integrity
COPY migrations ./migrations
COPY frontend ./frontend
# Editable, so the app finds migrations/ and frontend/ beside the package.
RUN pip install -e .

USER integrity
EXPOSE 8000
CMD ["integrity", "serve", "--host", "0.0.0.0", "--port", "8000"]
