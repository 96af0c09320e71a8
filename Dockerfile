# One image for web, workers and beat. Debian bookworm matches the hosts the sandbox
# was measured on (bubblewrap, seccomp, user namespaces).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH

RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap libseccomp2 postgresql-client \
 && rm -rf /var/lib/apt/lists/*

# The sandbox binds the interpreter and the venv read-only: keep both world-readable.
RUN python -m venv /opt/venv
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \
 && pip install --no-cache-dir --no-deps openai-whisper==20250625

COPY . .
# DEBUG off, as the image runs: only then does whitenoise write the manifest it serves from.
RUN DEBUG=0 SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --no-input -v 0

RUN useradd --system --uid 10001 --home /app app && mkdir -p /app/var && chown -R app /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "accelerator.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
